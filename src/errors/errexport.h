/* errexport.h - the markdown export of the error database (the seed's export_daemon_errors("daemon_errors.md")). */
#ifndef JMAKE_ERREXPORT_H
#define JMAKE_ERREXPORT_H

#include "errdb.h"

/* The export as markdown text (caller frees): statistics, the patterns by
 * count with their learned fixes, and the recent errors with their fixes.
 * now_ms stamps the header. NULL when the database cannot be read. */
char *errexport_markdown(errdb *db, int64_t now_ms);

#endif
