// posix_spawnp with stdout/stderr to /dev/null or a log file.
#include "sim/run_program.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace sa::sim {

namespace {

int Spawn(const std::vector<std::string>& argv, const char* out_path, int out_flags) {
  std::vector<std::string> args = argv;
  std::vector<char*> ptrs;
  for (std::string& a : args) ptrs.push_back(a.data());
  ptrs.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path, out_flags, 0644);
  ::posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, ptrs[0], &actions, nullptr, ptrs.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

int RunProgram(const std::vector<std::string>& argv) { return Spawn(argv, "/dev/null", O_WRONLY); }

int RunProgramLogged(const std::vector<std::string>& argv, const std::string& log_path) {
  return Spawn(argv, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND);
}

}  // namespace sa::sim
