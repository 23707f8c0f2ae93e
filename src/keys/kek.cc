#include "keys/kek.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "crypto/aead.h"
#include "crypto/random.h"
#include "base/secret_file.h"
#include "keys/envelope_format.h"
#include "keys/symmetric_protector.h"

namespace duet::keys {
namespace {

namespace fs = std::filesystem;

constexpr size_t kFileKekSize = 32;
constexpr size_t kIndexKeySize = 32;
constexpr size_t kLegacyKeyFileSize = 64;
constexpr char kRecordMagic[6] = {'D', 'U', 'E', 'T', 'D', 'K'};
constexpr uint8_t kRecordVersion = 1;
constexpr size_t kRecordHeader = sizeof kRecordMagic + 2;  // magic ‖ version ‖ algorithm
constexpr size_t kMaxRecordFile = 4096;

// Creates `path` (mode 0600) with `data` only if it does not exist yet, so two
// processes racing to create the file cannot both win: kConflict if it exists.
Status create_private_file(const std::string& path, ByteView data) {
  return write_secret_file(path, data, {SecretFilePlacement::kNoClobber});
}

// Overwrites a plain key file with zeros, then removes it.
void shred_file(const std::string& path, size_t size) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    Bytes zeros(size, 0);
    if (::write(fd, zeros.data(), zeros.size()) == static_cast<ssize_t>(zeros.size())) ::fsync(fd);
    ::close(fd);
  }
  ::unlink(path.c_str());
  std::string dir = fs::path(path).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

class FileKek final : public Kek {
 public:
  FileKek(std::string path, SecretBytes key) : path_(std::move(path)), key_(std::move(key)) {}

  Result<Bytes> wrap(std::string_view context, ByteView plaintext) override {
    Bytes iv(crypto::kAeadNonceSize);
    crypto::SystemRandom::instance().fill(iv);
    return internal::seal_envelope(internal::kKekWrapFormat, crypto::AeadAlgorithm::kAes256Gcm, key_.view(), iv,
                                   context, plaintext);
  }

  Result<SecretBytes> unwrap(std::string_view context, ByteView wrapped) override {
    return internal::open_envelope(internal::kKekWrapFormat, crypto::AeadAlgorithm::kAes256Gcm, key_.view(), context,
                                   wrapped, "wrapped blob has an unknown format");
  }

  Status check() override { return Status::Ok(); }
  std::string describe() const override { return "file:" + path_; }

 private:
  std::string path_;
  SecretBytes key_;
};

uint8_t alg_byte(DataKeyAlgorithm a) { return a == DataKeyAlgorithm::kAes256Gcm ? 1 : 2; }
crypto::AeadAlgorithm aead_of(DataKeyAlgorithm a) {
  return a == DataKeyAlgorithm::kAes256Gcm ? crypto::AeadAlgorithm::kAes256Gcm : crypto::AeadAlgorithm::kSm4Gcm;
}
std::string record_context(DataKeyAlgorithm a) {
  return std::string("datakeys/v1/") + std::string(crypto::aead_name(aead_of(a)));
}

Bytes record_bytes(DataKeyAlgorithm alg, ByteView blob) {
  Bytes out(kRecordMagic, kRecordMagic + sizeof kRecordMagic);
  out.push_back(kRecordVersion);
  out.push_back(alg_byte(alg));
  out.insert(out.end(), blob.begin(), blob.end());
  return out;
}

struct ParsedRecord {
  DataKeyAlgorithm alg;
  Bytes blob;
};

Result<ParsedRecord> parse_record(ByteView file, const std::string& path) {
  if (file.size() <= kRecordHeader || !std::equal(kRecordMagic, kRecordMagic + sizeof kRecordMagic, file.begin())) {
    return make_error(ErrorCode::kBadEncoding, path + " is not a data-key record");
  }
  if (file[sizeof kRecordMagic] != kRecordVersion) {
    return make_error(ErrorCode::kUnsupportedVersion, path + ": unknown data-key record version");
  }
  uint8_t a = file[sizeof kRecordMagic + 1];
  if (a != 1 && a != 2) return make_error(ErrorCode::kBadEncoding, path + ": unknown data-key algorithm");
  ParsedRecord r{a == 1 ? DataKeyAlgorithm::kAes256Gcm : DataKeyAlgorithm::kSm4Gcm,
                 Bytes(file.begin() + kRecordHeader, file.end())};
  return r;
}

// Unwraps a record into (data key, index key).
Result<std::unique_ptr<DataProtector>> protector_from_record(const std::shared_ptr<Kek>& kek, ByteView file,
                                                             const std::string& path) {
  DUET_ASSIGN_OR_RETURN(ParsedRecord rec, parse_record(file, path));
  auto keys = kek->unwrap(record_context(rec.alg), rec.blob);
  if (!keys.ok()) {
    if (keys.code() == ErrorCode::kBadEncoding) {
      return make_error(ErrorCode::kUnavailable, path + " does not open under " + kek->describe() +
                                                     " (another key-encryption key, or the file was altered)");
    }
    return make_error(keys.code(), path + ": " + keys.error().message);
  }
  size_t dk = crypto::aead_key_size(aead_of(rec.alg));
  if (keys->size() != dk + kIndexKeySize) {
    return make_error(ErrorCode::kBadEncoding, path + ": data-key record has the wrong size");
  }
  std::shared_ptr<Kek> held = kek;  // the protector's check() asks the KEK
  return internal::make_symmetric_protector(aead_of(rec.alg), SecretBytes(ByteView(keys->data(), dk)),
                                            SecretBytes(ByteView(keys->data() + dk, kIndexKeySize)),
                                            [held]() { return held->check(); });
}

}  // namespace

Result<std::shared_ptr<Kek>> open_file_kek(const std::string& path, bool create_if_missing) {
  auto existing = read_secret_file(path, kFileKekSize);
  if (existing.code() == ErrorCode::kNotFound && create_if_missing) {
    SecretBytes fresh(kFileKekSize);
    crypto::SystemRandom::instance().fill(fresh.span());
    Status st = create_private_file(path, fresh.view());
    if (st.ok()) return std::shared_ptr<Kek>(std::make_shared<FileKek>(path, std::move(fresh)));
    if (st.code() != ErrorCode::kConflict) return Unexpected{st.error()};
    existing = read_secret_file(path, kFileKekSize);  // another process created it first
  }
  if (existing.code() == ErrorCode::kNotFound) return make_error(ErrorCode::kUnavailable, path + " does not exist");
  if (!existing.ok()) return Unexpected{existing.error()};
  if (existing->size() != kFileKekSize) {
    return make_error(ErrorCode::kUnavailable, "KEK file " + path + " must be 32 bytes with mode 0600");
  }
  return std::shared_ptr<Kek>(std::make_shared<FileKek>(path, std::move(*existing)));
}

Result<std::unique_ptr<DataProtector>> open_envelope_protector(std::shared_ptr<Kek> kek, const std::string& record_path,
                                                               const EnvelopeOptions& options) {
  if (!kek) return make_error(ErrorCode::kInvalidArgument, "no key-encryption key");
  auto existing = read_secret_file(record_path, kMaxRecordFile);
  if (existing.ok()) return protector_from_record(kek, existing->view(), record_path);
  if (existing.code() != ErrorCode::kNotFound) return Unexpected{existing.error()};

  // No record yet: import a plain key file, or draw fresh keys.
  DataKeyAlgorithm alg = options.algorithm;
  SecretBytes plain;
  bool importing = false;
  if (!options.import_key_file.empty()) {
    auto legacy = read_secret_file(options.import_key_file, kLegacyKeyFileSize);
    if (legacy.ok()) {
      if (legacy->size() != kLegacyKeyFileSize) {
        return make_error(ErrorCode::kUnavailable, "key file " + options.import_key_file + " must be 64 bytes");
      }
      plain = std::move(*legacy);
      alg = DataKeyAlgorithm::kAes256Gcm;  // LocalKeyFile's format
      importing = true;
    } else if (legacy.code() != ErrorCode::kNotFound) {
      return Unexpected{legacy.error()};
    }
  }
  if (!importing) {
    if (!options.create_if_missing) {
      return make_error(ErrorCode::kUnavailable, "data-key record " + record_path + " does not exist");
    }
    plain = SecretBytes(crypto::aead_key_size(aead_of(alg)) + kIndexKeySize);
    crypto::SystemRandom::instance().fill(plain.span());
  }
  DUET_ASSIGN_OR_RETURN(Bytes blob, kek->wrap(record_context(alg), plain.view()));
  Status st = create_private_file(record_path, record_bytes(alg, blob));
  if (!st.ok() && st.code() != ErrorCode::kConflict) return Unexpected{st.error()};
  // Always continue from what is on disk (another process may have won the race).
  DUET_ASSIGN_OR_RETURN(SecretBytes written, read_secret_file(record_path, kMaxRecordFile));
  DUET_ASSIGN_OR_RETURN(auto protector, protector_from_record(kek, written.view(), record_path));
  if (importing) {
    // The record must hold exactly the imported keys before the plain file goes.
    DUET_ASSIGN_OR_RETURN(ParsedRecord rec, parse_record(written.view(), record_path));
    auto back = kek->unwrap(record_context(rec.alg), rec.blob);
    if (back.ok() && constant_time_equal(back->view(), plain.view())) {
      shred_file(options.import_key_file, kLegacyKeyFileSize);
    } else {
      return make_error(ErrorCode::kConflict, "data-key record " + record_path + " exists with other keys than " +
                                                  options.import_key_file + "; refusing to mix them");
    }
  }
  return protector;
}

Result<std::unique_ptr<DataProtector>> open_pkcs11_data_protector(const Pkcs11Config& config,
                                                                  const std::string& data_dir,
                                                                  const EnvelopeOptions& options) {
  DUET_ASSIGN_OR_RETURN(std::shared_ptr<Kek> kek, open_pkcs11_kek(config));
  return open_envelope_protector(std::move(kek), (fs::path(data_dir) / "datakeys.wrapped").string(), options);
}

Result<KeyServices> open_key_services(const KeyServicesConfig& config) {
  if (config.data_dir.empty()) return make_error(ErrorCode::kInvalidArgument, "keys: data_dir must not be empty");
  auto path = [&](const char* name) { return (fs::path(config.data_dir) / name).string(); };
  KeyServices out;
  if (config.kek == "file") {
    if (!config.dev) {
      return make_error(ErrorCode::kInvalidArgument, "keys.kek = \"file\" is only allowed with --dev");
    }
    DUET_ASSIGN_OR_RETURN(out.kek, open_file_kek(path("kek-dev.key"), true));
    DUET_ASSIGN_OR_RETURN(out.protector, open_local_key_file(path("kek.key"), true));
    return out;
  }
  if (config.kek != "pkcs11") {
    return make_error(ErrorCode::kInvalidArgument, "keys.kek must be \"pkcs11\" or \"file\"");
  }
  EnvelopeOptions eo;
  if (config.data_key_algorithm == "aes-256-gcm") {
    eo.algorithm = DataKeyAlgorithm::kAes256Gcm;
  } else if (config.data_key_algorithm == "sm4-gcm") {
    eo.algorithm = DataKeyAlgorithm::kSm4Gcm;
  } else {
    return make_error(ErrorCode::kInvalidArgument, "keys.data_key_algorithm must be \"aes-256-gcm\" or \"sm4-gcm\"");
  }
  if (config.import_key_file) eo.import_key_file = path("kek.key");
  DUET_ASSIGN_OR_RETURN(out.kek, open_pkcs11_kek(config.pkcs11));
  DUET_ASSIGN_OR_RETURN(out.protector, open_envelope_protector(out.kek, path("datakeys.wrapped"), eo));
  return out;
}

}  // namespace duet::keys
