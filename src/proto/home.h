/* home.h - the daemon home: where it is and the names of everything inside it. */
#ifndef JMAKE_HOME_H
#define JMAKE_HOME_H

/* The home to use: explicit (--home) if given, else $JMAKE_HOME, else
 * $XDG_STATE_HOME/jmake, else $HOME/.local/state/jmake. Returned as an
 * absolute path, new string owned by the caller (NULL only if nothing works). */
char *home_resolve(const char *explicit_home);

/* Paths inside a home; new strings owned by the caller. The run/ folder
 * (mode 0700) holds the socket and the PID files. */
char *home_run_dir(const char *home);
char *home_socket_path(const char *home);
char *home_pid_path(const char *home, const char *daemon);
char *home_log_dir(const char *home);
char *home_jobs_dir(const char *home);      /* per-job output logs */
char *home_state_dir(const char *home);     /* engine build records */
char *home_queue_db(const char *home);

#endif
