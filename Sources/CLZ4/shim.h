#ifndef REPLREC_CLZ4_SHIM_H
#define REPLREC_CLZ4_SHIM_H
#include <lz4.h>
#endif
