// Safe writing of outputs: nothing the tools did not create is ever deleted, truncated or
// replaced by a folder, and no output is ever half-written.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sa::vectors {

// Writes `bytes` to a fresh temporary file (mkstemp) in PATH's folder, then renames it over
// PATH, so a crash never leaves a half-written PATH and no other file (such as PATH.tmp) is
// touched. An existing PATH is replaced only if it is a regular file, keeping its mode; a
// symbolic link is written through (the file it points to is replaced, the link stays); a
// folder, FIFO, device, dangling link or missing parent folder is refused with a FormatError.
void WriteFileAtomic(const std::string& path, const std::vector<uint8_t>& bytes);

// Where a write to PATH lands: PATH, or the file a symbolic link PATH points to (so that the
// link stays a link); a dangling link is refused with a FormatError.
std::string WriteTarget(const std::string& path);

// Checks before a long run that WriteFileAtomic(path) can succeed: the parent folder exists and
// takes a new file (one is made and removed), and PATH is absent or a regular file. `flag`
// names the option in the message.
void CheckOutputFile(const std::string& path, const std::string& flag);

// Checks before a long run that files can be written into folder PATH, creating it (not its
// parents) when it is missing; a file or a folder that refuses a new file is an error.
void CheckOutputFolder(const std::string& path, const std::string& flag);

// Creates a fresh, empty, uniquely named file ".NAME.tmp-XXXXXX" beside PATH and returns its path,
// for writers (such as a waveform) that open the file themselves; rename it onto PATH when done.
std::string MakeTempFileBeside(const std::string& path);

// Gives `tmp` (from MakeTempFileBeside) the mode the file it replaces had, or that of an
// ordinary new file (0666 & ~umask; mkstemp makes 0600), and renames it onto `target`. On failure
// `tmp` is removed and a FormatError names `target`.
void RenameIntoPlace(const std::string& tmp, const std::string& target);

// Creates a fresh, uniquely named folder ".NAME.partial-XXXXXX" beside `target` (same file
// system, so renaming it onto `target` is atomic) and returns its path.
std::string MakeStagingDir(const std::string& target);

}  // namespace sa::vectors
