/* wire.c - the framed JSON wire protocol shared by clients and daemons. */
