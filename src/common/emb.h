/*
 * Included last by every source file, after all system and library
 * headers: bans the C functions that have no bounds (curl and git do the
 * same), so a use of one is a compile error.
 */
#ifndef EMB_COMMON_EMB_H
#define EMB_COMMON_EMB_H

#include "common/err.h"

#define EMB_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#pragma GCC poison strcpy strcat sprintf vsprintf gets strtok atoi atol atoll  \
    sscanf strncpy

#endif
