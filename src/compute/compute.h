/* compute (service cvm): regions and zones now; instances, images, key pairs next. */
#ifndef YUN_COMPUTE_H
#define YUN_COMPUTE_H

#include "api/api.h"

/* region.c */
void compute_register_regions(void);

#endif
