// Why the collector cannot run, in words a user can act on.
#pragma once
#include <string>

namespace kestrel {

// Empty when this process can load and attach the collector; otherwise the reason and the fix.
std::string preflight();

// Makes sure tracefs is mounted (tracepoint ids are read from it). Empty on success.
std::string ensure_tracefs();

// Turns a libbpf failure (negative errno) during `step` into an actionable message, with the
// tail of libbpf's own log (the verifier's complaint, a missing tracepoint...).
std::string describe_failure(const std::string& step, int err);

// Captures libbpf's warnings into a bounded buffer read by describe_failure.
void capture_libbpf_log();
void clear_libbpf_log();

}  // namespace kestrel
