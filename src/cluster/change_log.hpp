// The change log every cluster node keeps (docs/cluster.md): the runtime changes made on this node and the ones
// received from peers, each with its origin node, a per-origin sequence number and a hybrid logical clock stamp.
// Pure (no I/O, no clock read): the caller passes the wall clock in, so the merge rules are unit-tested.
//
// Convergence rule:
//  - `state` (ready/drain/maint of pool/server) is a last-writer-wins register per (pool, server): the change
//    with the highest (stamp, origin) wins; an older one arriving later is kept in the log but not applied.
//  - `add`/`remove` are a second last-writer-wins register per (pool, server), the membership. A reload (which
//    replaces the servers with the file's) ends it: a membership change stamped before the newest reload this
//    node knows of is not applied.
//  - `purge`/`reload` are one-shot events, applied once per (origin, seq), and not at all when stamped before
//    this node started (it loaded its config and started with an empty cache after them).
// Sequence numbers start at the wall clock (ms) so that they keep increasing across a restart.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gisgate::cluster {

enum class ChangeKind { state, add, remove, purge, reload };

std::string_view to_string(ChangeKind kind);
std::optional<ChangeKind> change_kind(std::string_view text);

struct Change {
    std::string origin;       // the node it was made on
    std::uint64_t seq = 0;    // per origin, increasing
    std::uint64_t stamp = 0;  // hybrid logical clock (ms): max(wall clock, last stamp + 1)
    ChangeKind kind = ChangeKind::state;
    std::string pool;
    std::string server;  // empty for purge/reload
    nlohmann::json payload = nlohmann::json::object();  // state: {"state"}; add: the server; purge: {"prefix", "pool"}
};

// {"origin", "seq", "stamp", "kind", "pool", "server", "payload"}; nullopt when a field is missing or mistyped.
nlohmann::json to_json(const Change& change);
std::optional<Change> change_from_json(const nlohmann::json& json);

// Origin → the highest sequence number received from it.
using Seen = std::map<std::string, std::uint64_t, std::less<>>;
nlohmann::json to_json(const Seen& seen);
std::optional<Seen> seen_from_json(const nlohmann::json& json);

// What receive() decided.
enum class Verdict {
    duplicate,      // already seen: not recorded again
    apply,          // recorded; apply it now
    superseded,     // recorded (and forwarded) but a newer change holds its register
    before_start,   // a one-shot event from before this node started
    before_reload,  // a membership change older than the newest reload
};

class ChangeLog {
public:
    static constexpr std::size_t kDefaultCapacity = 4096;

    ChangeLog(std::string node, std::uint64_t start_ms, std::size_t capacity = kDefaultCapacity);

    const std::string& node() const { return node_; }
    std::uint64_t start_ms() const { return start_ms_; }
    std::uint64_t clock() const { return clock_; }

    // A change made on this node (already applied by the caller): it takes the next sequence number and stamp
    // and holds its register.
    const Change& record_local(ChangeKind kind, std::string pool, std::string server, nlohmann::json payload,
                               std::uint64_t now_ms);
    // A change from a peer, recorded (unless a duplicate) so it is forwarded to the other peers too.
    Verdict receive(const Change& change);

    const Seen& seen() const { return seen_; }
    // The changes a node that has `peer_seen` lacks, in log order (ascending per origin), at most `max`.
    std::vector<Change> missing_for(const Seen& peer_seen, std::size_t max) const;
    // The change holding a server's state or membership register; nullptr when none does.
    const Change* state_of(std::string_view pool, std::string_view server) const;
    const Change* membership_of(std::string_view pool, std::string_view server) const;
    std::size_t size() const { return entries_.size(); }

private:
    struct Holder {
        std::uint64_t stamp = 0;
        std::string origin;
        std::uint64_t seq = 0;
    };
    static std::string register_key(ChangeKind kind, std::string_view pool, std::string_view server);
    const Change* holder_of(const std::string& key) const;
    bool holds_register(const Change& change) const;
    void append(const Change& change);
    void raise_reload_floor(std::uint64_t stamp);

    std::string node_;
    std::uint64_t start_ms_;
    std::size_t capacity_;
    std::uint64_t clock_ = 0;
    std::uint64_t reload_floor_ = 0;  // stamp of the newest reload known
    std::deque<Change> entries_;
    Seen seen_;
    std::map<std::string, Holder, std::less<>> registers_;
};

}  // namespace gisgate::cluster
