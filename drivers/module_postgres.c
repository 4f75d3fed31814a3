/*
 * module_postgres.c - the entry point of the loadable PostgreSQL driver.
 *
 * vmig loads vmig_postgres.so with dlopen() the first time it meets a
 * postgresql:// URL and looks up this one symbol (see registry.c).
 */
#include "driver.h"

const vmig_driver *vmig_driver_entry(void);

__attribute__((visibility("default"))) const vmig_driver *vmig_driver_entry(void)
{
	return &vmig_postgres_driver;
}
