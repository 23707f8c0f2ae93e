// ExternalSigner: produces an SM2 signature over a digest e = SM3(Z_A ‖ M)
// without the private key being here. In the service it runs the two-party
// protocol; in tests it is an ordinary key.
#pragma once

#include <functional>

#include "base/result.h"
#include "crypto/sm2.h"

namespace duet::pki {

using ExternalSigner = std::function<Result<crypto::Sm2Signature>(const crypto::Digest& e)>;

}  // namespace duet::pki
