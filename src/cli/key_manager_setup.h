// `tollgate serve`'s wiring of the OAuth2 key manager: its flags and its start (master key, first
// signing key).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cli/flags.h"
#include "control/key_manager.h"
#include "control/master_key.h"
#include "core/clock.h"
#include "core/status.h"
#include "store/store.h"

namespace tollgate::cli {

// --issuer URL (TOLLGATE_ISSUER; default http://<listen>:<http-port>) and --token-ttl SECONDS.
std::vector<FlagSpec> KeyManagerFlags();

// Our OAuth2 issuer name: --issuer, else http://<listen>:<http-port>.
std::string OwnIssuer(const Flags& flags, uint16_t http_port);

// The master key that seals private keys in the store (TOLLGATE_MASTER_KEY, else
// <data dir>/master.key, created 0600 when missing).
Result<control::MasterKey> LoadMasterKey(const Flags& flags);

// Loads the master key (TOLLGATE_MASTER_KEY, else <data dir>/master.key, created 0600), builds
// the key manager and makes sure a signing key exists. Errors name the flag or file at fault.
Result<std::unique_ptr<control::KeyManager>> StartKeyManager(const Flags& flags,
                                                             store::Store& store,
                                                             const Clock& clock,
                                                             std::function<void()> on_change,
                                                             uint16_t http_port);

}  // namespace tollgate::cli
