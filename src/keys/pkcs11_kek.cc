// PKCS#11 KEK. The only file that includes p11-kit's pkcs11.h (it #defines
// lowercase words such as value, count and params): keep it that way.
#include "keys/pkcs11_kek.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "crypto/random.h"
#include "keys/envelope_format.h"

#include <p11-kit/pkcs11.h>  // last: its macros must not reach the headers above

namespace duet::keys {
namespace {

constexpr size_t kIvSize = crypto::kAeadNonceSize;
constexpr size_t kTagSize = crypto::kAeadTagSize;
constexpr size_t kMaxWrapInput = 1 << 20;  // small blobs only

Unexpected unavailable(std::string message) { return make_error(ErrorCode::kUnavailable, std::move(message)); }

std::string rv_name(CK_RV rv) {
  switch (rv) {
    case CKR_OK: return "CKR_OK";
    case CKR_GENERAL_ERROR: return "CKR_GENERAL_ERROR";
    case CKR_FUNCTION_FAILED: return "CKR_FUNCTION_FAILED";
    case CKR_ARGUMENTS_BAD: return "CKR_ARGUMENTS_BAD";
    case CKR_ATTRIBUTE_SENSITIVE: return "CKR_ATTRIBUTE_SENSITIVE";
    case CKR_DEVICE_ERROR: return "CKR_DEVICE_ERROR";
    case CKR_DEVICE_MEMORY: return "CKR_DEVICE_MEMORY";
    case CKR_DEVICE_REMOVED: return "CKR_DEVICE_REMOVED";
    case CKR_ENCRYPTED_DATA_INVALID: return "CKR_ENCRYPTED_DATA_INVALID";
    case CKR_ENCRYPTED_DATA_LEN_RANGE: return "CKR_ENCRYPTED_DATA_LEN_RANGE";
    case CKR_KEY_HANDLE_INVALID: return "CKR_KEY_HANDLE_INVALID";
    case CKR_MECHANISM_INVALID: return "CKR_MECHANISM_INVALID";
    case CKR_MECHANISM_PARAM_INVALID: return "CKR_MECHANISM_PARAM_INVALID";
    case CKR_OBJECT_HANDLE_INVALID: return "CKR_OBJECT_HANDLE_INVALID";
    case CKR_PIN_INCORRECT: return "CKR_PIN_INCORRECT";
    case CKR_PIN_LOCKED: return "CKR_PIN_LOCKED";
    case CKR_PIN_LEN_RANGE: return "CKR_PIN_LEN_RANGE";
    case CKR_SESSION_CLOSED: return "CKR_SESSION_CLOSED";
    case CKR_SESSION_HANDLE_INVALID: return "CKR_SESSION_HANDLE_INVALID";
    case CKR_SLOT_ID_INVALID: return "CKR_SLOT_ID_INVALID";
    case CKR_TOKEN_NOT_PRESENT: return "CKR_TOKEN_NOT_PRESENT";
    case CKR_TOKEN_NOT_RECOGNIZED: return "CKR_TOKEN_NOT_RECOGNIZED";
    case CKR_USER_NOT_LOGGED_IN: return "CKR_USER_NOT_LOGGED_IN";
    case CKR_USER_PIN_NOT_INITIALIZED: return "CKR_USER_PIN_NOT_INITIALIZED";
    case CKR_CRYPTOKI_NOT_INITIALIZED: return "CKR_CRYPTOKI_NOT_INITIALIZED";
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "CKR_0x%lx", static_cast<unsigned long>(rv));
      return buf;
    }
  }
}

// Errors after which the session (or the token behind it) is not to be trusted:
// drop the session and start again from the slot search.
bool session_lost(CK_RV rv) {
  switch (rv) {
    case CKR_SESSION_HANDLE_INVALID:
    case CKR_SESSION_CLOSED:
    case CKR_USER_NOT_LOGGED_IN:
    case CKR_TOKEN_NOT_PRESENT:
    case CKR_TOKEN_NOT_RECOGNIZED:
    case CKR_DEVICE_REMOVED:
    case CKR_DEVICE_ERROR:
    case CKR_SLOT_ID_INVALID:
    case CKR_KEY_HANDLE_INVALID:
    case CKR_OBJECT_HANDLE_INVALID:
    case CKR_CRYPTOKI_NOT_INITIALIZED:
      return true;
    default:
      return false;
  }
}

std::string padded_label(const unsigned char* label, size_t n) {
  std::string s(reinterpret_cast<const char*>(label), n);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

// ---------------------------------------------------------------------------
// One dlopen + C_Initialize per module path and process, reference counted;
// C_Finalize when the last user goes (the library itself stays mapped: some
// modules, SoftHSM2 among them, do not survive dlclose/reload well).

struct ModuleEntry {
  void* handle = nullptr;
  CK_FUNCTION_LIST_PTR f = nullptr;
  int refs = 0;
  bool finalize = false;  // we initialised it (not someone else in the process)
};

std::mutex g_modules_mu;
std::map<std::string, ModuleEntry>& modules() {
  static auto* m = new std::map<std::string, ModuleEntry>();  // never destroyed (exit order)
  return *m;
}

class ModuleRef {
 public:
  ModuleRef() = default;
  ModuleRef(std::string path, CK_FUNCTION_LIST_PTR f) : path_(std::move(path)), f_(f) {}
  ModuleRef(ModuleRef&& o) noexcept : path_(std::move(o.path_)), f_(std::exchange(o.f_, nullptr)) {}
  ModuleRef& operator=(ModuleRef&&) = delete;
  ~ModuleRef() {
    if (!f_) return;
    std::lock_guard lock(g_modules_mu);
    ModuleEntry& e = modules()[path_];
    if (--e.refs == 0 && e.finalize) {
      e.f->C_Finalize(nullptr);
      e.finalize = false;
    }
  }
  CK_FUNCTION_LIST_PTR operator->() const { return f_; }
  CK_FUNCTION_LIST_PTR get() const { return f_; }

 private:
  std::string path_;
  CK_FUNCTION_LIST_PTR f_ = nullptr;
};

Result<ModuleRef> acquire_module(const std::string& path) {
  std::lock_guard lock(g_modules_mu);
  ModuleEntry& e = modules()[path];
  if (!e.handle) {
    void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      const char* err = ::dlerror();
      return unavailable("PKCS#11 module " + path + " cannot be loaded: " + (err ? err : "dlopen failed"));
    }
    auto get = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(h, "C_GetFunctionList"));
    CK_FUNCTION_LIST_PTR f = nullptr;
    if (!get || get(&f) != CKR_OK || !f) {
      ::dlclose(h);
      return unavailable("PKCS#11 module " + path + " has no usable C_GetFunctionList");
    }
    e.handle = h;
    e.f = f;
  }
  if (e.refs == 0) {
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    CK_RV rv = e.f->C_Initialize(&args);
    if (rv == CKR_OK) {
      e.finalize = true;
    } else if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      e.finalize = false;  // someone else in this process owns it
    } else {
      return unavailable("PKCS#11 module " + path + ": C_Initialize failed: " + rv_name(rv));
    }
  }
  ++e.refs;
  return ModuleRef(path, e.f);
}

// The user PIN from a file (first line) or an environment variable.
Result<SecretBytes> read_pin(const Pkcs11Config& c) {
  if (!c.pin_file.empty()) {
    int fd = ::open(c.pin_file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return unavailable("PIN file " + c.pin_file + ": " + std::strerror(errno));
    SecretBytes buf(4096);
    size_t got = 0;
    for (;;) {
      ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
      if (got == buf.size()) break;
    }
    ::close(fd);
    size_t len = 0;
    while (len < got && buf.data()[len] != '\n' && buf.data()[len] != '\r') ++len;
    if (len == 0) return unavailable("PIN file " + c.pin_file + " is empty");
    return SecretBytes(ByteView(buf.data(), len));
  }
  if (!c.pin_env.empty()) {
    const char* v = std::getenv(c.pin_env.c_str());
    if (v && *v) return SecretBytes(as_bytes(v));
    return unavailable("no PKCS#11 PIN: set " + c.pin_env + " or a PIN file");
  }
  return unavailable("no PKCS#11 PIN configured (pin_file or pin_env)");
}

Bytes wrap_aad(std::string_view context) { return internal::envelope_aad(internal::kKekWrapFormat, context); }

// ---------------------------------------------------------------------------

class Pkcs11Kek final : public Kek {
 public:
  Pkcs11Kek(Pkcs11Config config, ModuleRef module) : config_(std::move(config)), f_(std::move(module)) {}
  ~Pkcs11Kek() override {
    std::lock_guard lock(mu_);
    drop_session_locked();
  }

  // Opens the session, logs in, finds (or creates) the key. Called once by the factory.
  Status start() {
    std::lock_guard lock(mu_);
    return ensure_session_locked(config_.create_key_if_missing);
  }

  Result<Bytes> wrap(std::string_view context, ByteView plaintext) override {
    if (plaintext.size() > kMaxWrapInput) return make_error(ErrorCode::kInvalidArgument, "KEK wraps small blobs only");
    Bytes iv(kIvSize);
    crypto::SystemRandom::instance().fill(iv);
    Bytes aad = wrap_aad(context);
    std::lock_guard lock(mu_);
    Bytes ct;
    DUET_ASSIGN_OR_RETURN(CK_RV rv, retry_on_lost_session_locked([&] { return encrypt_locked(iv, aad, plaintext, ct); }));
    if (rv != CKR_OK) {
      drop_session_locked();
      return unavailable("KEK " + describe() + ": encrypt failed: " + rv_name(rv));
    }
    return internal::encode_envelope(internal::kKekWrapFormat, iv, ct);
  }

  Result<SecretBytes> unwrap(std::string_view context, ByteView wrapped) override {
    auto parts = internal::parse_envelope(internal::kKekWrapFormat, wrapped, kMaxWrapInput);
    if (!parts) return make_error(ErrorCode::kBadEncoding, "wrapped blob has an unknown format");
    Bytes aad = wrap_aad(context);
    std::lock_guard lock(mu_);
    SecretBytes pt;
    DUET_ASSIGN_OR_RETURN(CK_RV rv,
                          retry_on_lost_session_locked([&] { return decrypt_locked(parts->nonce, aad, parts->sealed, pt); }));
    if (rv == CKR_OK) return pt;
    // SoftHSM2 answers a failed tag check with CKR_GENERAL_ERROR (others use
    // CKR_ENCRYPTED_DATA_INVALID or CKR_AEAD_DECRYPT_FAILED): tell a bad blob
    // from a bad token by a round trip of our own.
    if (!session_lost(rv) && round_trip_locked()) {
      return make_error(ErrorCode::kBadEncoding, "wrapped blob does not open under the KEK for this context");
    }
    drop_session_locked();
    return unavailable("KEK " + describe() + ": decrypt failed: " + rv_name(rv));
  }

  Status check() override {
    std::lock_guard lock(mu_);
    auto now = std::chrono::steady_clock::now();
    if (last_check_ && now - *last_check_ < config_.check_interval) return last_status_;
    last_check_ = now;
    last_status_ = Status::Ok();
    for (int attempt = 0; attempt < 2; ++attempt) {
      Status st = ensure_session_locked(false);
      if (!st.ok()) {
        last_status_ = st;
        continue;
      }
      if (round_trip_locked()) {
        last_status_ = Status::Ok();
        return last_status_;
      }
      drop_session_locked();
      last_status_ = unavailable("KEK " + describe() + ": round trip through the token failed");
    }
    return last_status_;
  }

  std::string describe() const override {
    return "pkcs11:token=" + config_.token_label + ";object=" + config_.key_label;
  }

  Result<Pkcs11KeyInfo> inspect() {
    std::lock_guard lock(mu_);
    DUET_TRY_STATUS(ensure_session_locked(false));
    CK_BBOOL token = CK_FALSE, sensitive = CK_FALSE, extractable = CK_TRUE, always = CK_FALSE, never = CK_FALSE;
    CK_ULONG vlen = 0;
    CK_ATTRIBUTE attrs[] = {
        {CKA_TOKEN, &token, sizeof token},
        {CKA_SENSITIVE, &sensitive, sizeof sensitive},
        {CKA_EXTRACTABLE, &extractable, sizeof extractable},
        {CKA_ALWAYS_SENSITIVE, &always, sizeof always},
        {CKA_NEVER_EXTRACTABLE, &never, sizeof never},
        {CKA_VALUE_LEN, &vlen, sizeof vlen},
    };
    CK_RV rv = f_->C_GetAttributeValue(session_, key_, attrs, sizeof attrs / sizeof attrs[0]);
    if (rv != CKR_OK) return unavailable("C_GetAttributeValue: " + rv_name(rv));
    Pkcs11KeyInfo info;
    info.token = token == CK_TRUE;
    info.sensitive = sensitive == CK_TRUE;
    info.extractable = extractable == CK_TRUE;
    info.always_sensitive = always == CK_TRUE;
    info.never_extractable = never == CK_TRUE;
    info.key_length = vlen;
    // Ask for the key bytes: size query, then (if a size came back) the bytes.
    CK_ATTRIBUTE v = {CKA_VALUE, nullptr, 0};
    rv = f_->C_GetAttributeValue(session_, key_, &v, 1);
    info.value_read_rv = rv;
    info.value_readable = false;
    if (rv == CKR_OK && v.ulValueLen != CK_UNAVAILABLE_INFORMATION && v.ulValueLen > 0) {
      SecretBytes buf(v.ulValueLen);
      v.pValue = buf.data();
      rv = f_->C_GetAttributeValue(session_, key_, &v, 1);
      info.value_read_rv = rv;
      info.value_readable = rv == CKR_OK;
    }
    return info;
  }

 private:
  Status ensure_session_locked(bool create_key) {
    if (session_ != CK_INVALID_HANDLE) return Status::Ok();
    // The slot, by token label (slot ids change when tokens are initialised).
    CK_ULONG n = 0;
    CK_RV rv = f_->C_GetSlotList(CK_TRUE, nullptr, &n);
    if (rv != CKR_OK) return unavailable("C_GetSlotList: " + rv_name(rv));
    std::vector<CK_SLOT_ID> slots(n);
    if (n > 0) {
      rv = f_->C_GetSlotList(CK_TRUE, slots.data(), &n);
      if (rv != CKR_OK) return unavailable("C_GetSlotList: " + rv_name(rv));
      slots.resize(n);
    }
    std::optional<CK_SLOT_ID> found;
    for (CK_SLOT_ID s : slots) {
      CK_TOKEN_INFO ti{};
      if (f_->C_GetTokenInfo(s, &ti) != CKR_OK) continue;
      if (!(ti.flags & CKF_TOKEN_INITIALIZED)) continue;
      if (padded_label(ti.label, sizeof ti.label) != config_.token_label) continue;
      if (found) {
        return make_error(ErrorCode::kInvalidArgument,
                          "more than one PKCS#11 token is labelled '" + config_.token_label + "'");
      }
      found = s;
    }
    if (!found) return unavailable("no PKCS#11 token labelled '" + config_.token_label + "'");

    CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
    rv = f_->C_OpenSession(*found, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &s);
    if (rv != CKR_OK) return unavailable("C_OpenSession on token '" + config_.token_label + "': " + rv_name(rv));
    session_ = s;

    auto pin = read_pin(config_);
    if (!pin.ok()) {
      drop_session_locked();
      return Unexpected{pin.error()};
    }
    rv = f_->C_Login(session_, CKU_USER, pin->data(), pin->size());
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
      drop_session_locked();
      // PIN text never goes into a message.
      return unavailable("login to token '" + config_.token_label + "' failed: " + rv_name(rv));
    }

    Status st = find_or_create_key_locked(create_key);
    if (!st.ok()) drop_session_locked();
    return st;
  }

  Status find_or_create_key_locked(bool create_key) {
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof cls},
        {CKA_LABEL, const_cast<char*>(config_.key_label.data()), config_.key_label.size()},
    };
    CK_RV rv = f_->C_FindObjectsInit(session_, tmpl, 2);
    if (rv != CKR_OK) return unavailable("C_FindObjectsInit: " + rv_name(rv));
    CK_OBJECT_HANDLE objs[2];
    CK_ULONG count_found = 0;
    rv = f_->C_FindObjects(session_, objs, 2, &count_found);
    f_->C_FindObjectsFinal(session_);
    if (rv != CKR_OK) return unavailable("C_FindObjects: " + rv_name(rv));
    if (count_found > 1) {
      return make_error(ErrorCode::kInvalidArgument,
                        "more than one secret key is labelled '" + config_.key_label + "' in the token");
    }
    if (count_found == 1) {
      key_ = objs[0];
      return verify_key_locked();
    }
    if (!create_key) {
      return unavailable("no secret key labelled '" + config_.key_label + "' in token '" + config_.token_label + "'");
    }
    CK_MECHANISM mech = {CKM_AES_KEY_GEN, nullptr, 0};
    CK_KEY_TYPE kt = CKK_AES;
    CK_ULONG len = 32;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ATTRIBUTE gen[] = {
        {CKA_CLASS, &cls, sizeof cls},
        {CKA_KEY_TYPE, &kt, sizeof kt},
        {CKA_VALUE_LEN, &len, sizeof len},
        {CKA_LABEL, const_cast<char*>(config_.key_label.data()), config_.key_label.size()},
        {CKA_TOKEN, &yes, sizeof yes},
        {CKA_PRIVATE, &yes, sizeof yes},
        {CKA_SENSITIVE, &yes, sizeof yes},
        {CKA_EXTRACTABLE, &no, sizeof no},
        {CKA_MODIFIABLE, &no, sizeof no},
        {CKA_ENCRYPT, &yes, sizeof yes},
        {CKA_DECRYPT, &yes, sizeof yes},
        {CKA_WRAP, &no, sizeof no},
        {CKA_UNWRAP, &no, sizeof no},
        {CKA_SIGN, &no, sizeof no},
        {CKA_VERIFY, &no, sizeof no},
        {CKA_DERIVE, &no, sizeof no},
    };
    rv = f_->C_GenerateKey(session_, &mech, gen, sizeof gen / sizeof gen[0], &key_);
    if (rv != CKR_OK) {
      key_ = CK_INVALID_HANDLE;
      return unavailable("cannot generate the KEK in token '" + config_.token_label + "': " + rv_name(rv));
    }
    return verify_key_locked();
  }

  // An AES-256 key the token will not release.
  Status verify_key_locked() {
    CK_KEY_TYPE kt = 0;
    CK_ULONG len = 0;
    CK_BBOOL sensitive = CK_FALSE, extractable = CK_TRUE, encrypt = CK_FALSE, decrypt = CK_FALSE;
    CK_ATTRIBUTE a[] = {
        {CKA_KEY_TYPE, &kt, sizeof kt},         {CKA_VALUE_LEN, &len, sizeof len},
        {CKA_SENSITIVE, &sensitive, sizeof sensitive}, {CKA_EXTRACTABLE, &extractable, sizeof extractable},
        {CKA_ENCRYPT, &encrypt, sizeof encrypt}, {CKA_DECRYPT, &decrypt, sizeof decrypt},
    };
    CK_RV rv = f_->C_GetAttributeValue(session_, key_, a, sizeof a / sizeof a[0]);
    if (rv != CKR_OK) return unavailable("KEK attributes: " + rv_name(rv));
    if (kt != CKK_AES || len != 32) {
      return make_error(ErrorCode::kInvalidArgument, "key '" + config_.key_label + "' is not an AES-256 key");
    }
    if (sensitive != CK_TRUE || extractable != CK_FALSE) {
      return make_error(ErrorCode::kInvalidArgument,
                        "key '" + config_.key_label + "' must be sensitive and not extractable");
    }
    if (encrypt != CK_TRUE || decrypt != CK_TRUE) {
      return make_error(ErrorCode::kInvalidArgument, "key '" + config_.key_label + "' must allow encrypt and decrypt");
    }
    return Status::Ok();
  }

  void drop_session_locked() {
    // No C_Logout: login state is per application and token, shared with any
    // other session of this process; closing our last session logs out.
    if (session_ != CK_INVALID_HANDLE) f_->C_CloseSession(session_);
    session_ = CK_INVALID_HANDLE;
    key_ = CK_INVALID_HANDLE;
  }

  // Runs `op` (token calls on the open session, answering a CK_RV) and, when
  // the token lost the session, once more on a fresh one. The last CK_RV, or
  // the error of (re)opening the session.
  template <typename Op>
  Result<CK_RV> retry_on_lost_session_locked(Op op) {
    CK_RV rv = CKR_OK;
    for (int attempt = 0; attempt < 2; ++attempt) {
      DUET_TRY_STATUS(ensure_session_locked(false));
      rv = op();
      if (rv == CKR_OK || !session_lost(rv)) break;
      drop_session_locked();
    }
    return rv;
  }

  static CK_GCM_PARAMS gcm_params(ByteView iv, const Bytes& aad) {
    CK_GCM_PARAMS p{};
    p.pIv = const_cast<CK_BYTE*>(iv.data());
    p.ulIvLen = iv.size();
    p.ulIvBits = iv.size() * 8;
    p.pAAD = const_cast<CK_BYTE*>(aad.data());
    p.ulAADLen = aad.size();
    p.ulTagBits = kTagSize * 8;
    return p;
  }

  CK_RV encrypt_locked(ByteView iv, const Bytes& aad, ByteView pt, Bytes& out) {
    CK_GCM_PARAMS p = gcm_params(iv, aad);
    CK_MECHANISM mech = {CKM_AES_GCM, &p, sizeof p};
    CK_RV rv = f_->C_EncryptInit(session_, &mech, key_);
    if (rv != CKR_OK) return rv;
    CK_ULONG n = 0;
    CK_BYTE dummy = 0;
    CK_BYTE_PTR in = pt.empty() ? &dummy : const_cast<CK_BYTE*>(pt.data());
    rv = f_->C_Encrypt(session_, in, pt.size(), nullptr, &n);  // size query keeps the operation
    if (rv != CKR_OK) return rv;
    out.assign(n, 0);
    rv = f_->C_Encrypt(session_, in, pt.size(), out.data(), &n);
    if (rv != CKR_OK) return rv;
    out.resize(n);
    return out.size() == pt.size() + kTagSize ? CKR_OK : CKR_FUNCTION_FAILED;
  }

  CK_RV decrypt_locked(ByteView iv, const Bytes& aad, ByteView ct, SecretBytes& out) {
    CK_GCM_PARAMS p = gcm_params(iv, aad);
    CK_MECHANISM mech = {CKM_AES_GCM, &p, sizeof p};
    CK_RV rv = f_->C_DecryptInit(session_, &mech, key_);
    if (rv != CKR_OK) return rv;
    CK_ULONG n = 0;
    CK_BYTE_PTR in = const_cast<CK_BYTE*>(ct.data());
    rv = f_->C_Decrypt(session_, in, ct.size(), nullptr, &n);
    if (rv != CKR_OK) return rv;
    SecretBytes buf(std::max<CK_ULONG>(n, 1));
    rv = f_->C_Decrypt(session_, in, ct.size(), buf.data(), &n);
    if (rv != CKR_OK) return rv;
    if (n + kTagSize != ct.size()) return CKR_FUNCTION_FAILED;
    out = n == buf.size() ? std::move(buf) : SecretBytes(ByteView(buf.data(), n));
    return CKR_OK;
  }

  // Wraps and unwraps a random value: true when the token did both right.
  bool round_trip_locked() {
    if (session_ == CK_INVALID_HANDLE) return false;
    Bytes probe(16), iv(kIvSize), ct;
    crypto::SystemRandom::instance().fill(probe);
    crypto::SystemRandom::instance().fill(iv);
    Bytes aad = wrap_aad("duet/kek-check");
    if (encrypt_locked(iv, aad, probe, ct) != CKR_OK) return false;
    SecretBytes back;
    if (decrypt_locked(iv, aad, ct, back) != CKR_OK) return false;
    return constant_time_equal(back.view(), probe);
  }

  Pkcs11Config config_;
  ModuleRef f_;
  std::mutex mu_;
  CK_SESSION_HANDLE session_ = CK_INVALID_HANDLE;
  CK_OBJECT_HANDLE key_ = CK_INVALID_HANDLE;
  std::optional<std::chrono::steady_clock::time_point> last_check_;
  Status last_status_;
};

}  // namespace

Result<std::shared_ptr<Kek>> open_pkcs11_kek(const Pkcs11Config& config) {
  if (config.token_label.empty() || config.token_label.size() > 32) {
    return make_error(ErrorCode::kInvalidArgument, "PKCS#11 token label must have 1 to 32 characters");
  }
  if (config.key_label.empty()) return make_error(ErrorCode::kInvalidArgument, "PKCS#11 key label must not be empty");
  DUET_ASSIGN_OR_RETURN(ModuleRef module, acquire_module(config.module_path));
  auto kek = std::make_shared<Pkcs11Kek>(config, std::move(module));
  DUET_TRY_STATUS(kek->start());
  return std::shared_ptr<Kek>(std::move(kek));
}

Result<Pkcs11KeyInfo> inspect_pkcs11_kek(Kek& kek) {
  auto* p = dynamic_cast<Pkcs11Kek*>(&kek);
  if (!p) return make_error(ErrorCode::kInvalidArgument, "not a PKCS#11 KEK");
  return p->inspect();
}

}  // namespace duet::keys
