#include "otel_plugin_abi.h"
#include <otel_plugin.h>

OTEL_PLUGIN_DECLARE_ABI();
