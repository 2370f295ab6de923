/* cmocka boilerplate shared by the unit tests. */
#ifndef EMB_TEST_H
#define EMB_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#endif
