/* orchestrator.h - the orchestrator daemon: client socket, job queue, dispatch to workers, supervision. */
#ifndef JMAKE_ORCHESTRATOR_H
#define JMAKE_ORCHESTRATOR_H

/* Runs the orchestrator of home until it is stopped. Returns the process exit code. */
int orchestrator_main(const char *home);

#endif
