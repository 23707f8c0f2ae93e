// The one writer (and checked reader) of files that hold secrets: key files,
// KEK files, operator token files, private keys, private CLI output.
//
// A write never exposes a partial or world-readable file under the final name:
// the data goes to a fresh temporary file in the same directory, created with
// O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC and mode 0600 (whatever the umask), is
// written and fsynced, then renamed (replace) or hard-linked (no clobber) into
// place, and the directory is fsynced so the name survives a crash. The
// temporary file is removed on every path.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <span>
#include <string>

#include "base/bytes.h"
#include "base/result.h"

namespace duet {

enum class SecretFilePlacement {
  // Atomically replace whatever regular file is at the path (rename).
  kReplace,
  // Create the file only if the path is free (link, which fails with EEXIST):
  // of two processes racing to create it, exactly one wins; the other gets
  // kConflict and should read the winner's file.
  kNoClobber,
};

struct SecretFileOptions {
  SecretFilePlacement placement = SecretFilePlacement::kReplace;
  // The final mode. 0600 for secrets; a public companion file (a certificate
  // beside its key) may ask for 0644 and still get the atomic write.
  mode_t mode = 0600;
};

// Writes `data` to `path` as described above. Errors: kConflict when
// kNoClobber finds the path taken; kInvalidArgument when `path` is a symbolic
// link (never followed, never replaced); kUnavailable for I/O errors (the
// message names the path and the system error, never the content).
Status write_secret_file(const std::string& path, ByteView data, const SecretFileOptions& options = {});

// The same, then overwrites the caller's buffer with zeros whatever the
// outcome (for a secret the caller has no further use for).
Status write_secret_file_and_wipe(const std::string& path, std::span<uint8_t> data,
                                  const SecretFileOptions& options = {});
Status write_secret_file_and_wipe(const std::string& path, std::string& data, const SecretFileOptions& options = {});

// Reads a whole secret file of at most `max_size` bytes. The opened file must
// be a regular file that neither group nor others may read or write (mode
// 0600 or stricter) and not larger than max_size: otherwise kUnavailable
// ("must be a regular file with mode 0600"). A missing file is kNotFound, so
// that callers can create it.
Result<SecretBytes> read_secret_file(const std::string& path, size_t max_size);

}  // namespace duet
