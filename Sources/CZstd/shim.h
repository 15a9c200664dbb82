#ifndef REPLREC_CZSTD_SHIM_H
#define REPLREC_CZSTD_SHIM_H
#include <zstd.h>
#endif
