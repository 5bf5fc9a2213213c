/* The Twilio Messages API driver (providers.md A.1-A.4). */
#ifndef SG_PROVIDERS_TWILIO_H
#define SG_PROVIDERS_TWILIO_H

#include "providers/provider.h"

extern const sg_provider_kind sg_twilio_kind;

#endif
