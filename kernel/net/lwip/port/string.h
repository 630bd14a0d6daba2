/* string.h for lwIP's sources: our klibc (kernel/net/lwip/port) */
#include "klibc.h"
