// proxy::may_replay() as a table: every failure × request kind, and is_state_changing() on ArcGIS paths.
#include <gtest/gtest.h>

#include "gis/classify.hpp"
#include "proxy/retry_policy.hpp"

namespace gisgate::proxy {
namespace {

using http::Method;

struct Row {
    Failure failure;
    Method method;
    bool state_changing;
    bool body_streamed;
    bool reused;
    bool retry_on_timeout;
    Replay want;
};

TEST(RetryPolicy, Table) {
    constexpr Replay no = Replay::no, same = Replay::same_server_new_connection, next = Replay::next_server;
    const Row rows[] = {
        // Nothing sent: always the next server, whatever the request.
        {Failure::connect_failed, Method::get, false, false, false, true, next},
        {Failure::connect_failed, Method::post, true, false, false, true, next},
        {Failure::connect_timeout, Method::post, true, false, false, false, next},
        {Failure::connect_timeout, Method::get, false, false, true, true, next},
        // The write failed: a stale pooled connection is retried on a new one; a state-changing request or
        // one whose body was streamed may have been read, so never again.
        {Failure::send_failed, Method::get, false, false, true, true, same},
        {Failure::send_failed, Method::get, false, false, false, true, next},
        {Failure::send_failed, Method::post, false, false, true, true, same},
        {Failure::send_failed, Method::post, false, true, true, true, no},
        {Failure::send_failed, Method::get, true, false, true, true, no},
        {Failure::send_failed, Method::post, true, false, false, true, no},
        // Closed without an answer: only safe methods, never a state-changing GET.
        {Failure::closed_without_answer, Method::get, false, false, true, true, same},
        {Failure::closed_without_answer, Method::get, false, false, false, true, next},
        {Failure::closed_without_answer, Method::head, false, false, false, true, next},
        {Failure::closed_without_answer, Method::options, false, false, true, true, same},
        {Failure::closed_without_answer, Method::post, false, false, false, true, no},
        {Failure::closed_without_answer, Method::put, false, false, true, true, no},
        {Failure::closed_without_answer, Method::del, false, false, false, true, no},
        {Failure::closed_without_answer, Method::get, true, false, false, true, no},
        {Failure::closed_without_answer, Method::get, true, false, true, true, no},
        {Failure::closed_without_answer, Method::get, false, true, false, true, no},
        // Timed out without an answer: next server for safe requests unless the route said retry_on_timeout: false.
        {Failure::timed_out_without_answer, Method::get, false, false, false, true, next},
        {Failure::timed_out_without_answer, Method::get, false, false, true, true, next},
        {Failure::timed_out_without_answer, Method::get, false, false, false, false, no},
        {Failure::timed_out_without_answer, Method::get, true, false, false, true, no},
        {Failure::timed_out_without_answer, Method::post, false, false, false, true, no},
        {Failure::timed_out_without_answer, Method::head, false, true, false, true, no},
    };
    for (const Row& r : rows) {
        const ReplayQuestion q{r.failure, r.method, r.state_changing, r.body_streamed, r.reused, r.retry_on_timeout};
        EXPECT_EQ(may_replay(q), r.want) << "failure " << static_cast<int>(r.failure) << " method "
                                         << static_cast<int>(r.method) << " state_changing " << r.state_changing
                                         << " body_streamed " << r.body_streamed << " reused " << r.reused
                                         << " retry_on_timeout " << r.retry_on_timeout;
    }
}

// A request on a private (NTLM/Negotiate) server connection never goes again once sent: on any other connection
// it would lose the handshake, or the user. Before anything was sent it may still go to the next server.
TEST(RetryPolicy, ConnectionBoundExchangesAreNeverReplayed) {
    for (const Failure f : {Failure::send_failed, Failure::closed_without_answer, Failure::timed_out_without_answer}) {
        for (const bool reused : {false, true}) {
            ReplayQuestion q{f, Method::get, false, false, reused, true, true};
            EXPECT_EQ(may_replay(q), Replay::no) << static_cast<int>(f) << " reused " << reused;
            q.connection_bound = false;
            EXPECT_NE(may_replay(q), Replay::no) << static_cast<int>(f) << " reused " << reused;
        }
    }
    for (const Failure f : {Failure::connect_failed, Failure::connect_timeout})
        EXPECT_EQ(may_replay({f, Method::get, false, false, false, true, true}), Replay::next_server);
}

bool state_changing(const char* path) { return is_state_changing(gis::classify(path), path); }

TEST(RetryPolicy, StateChangingOperations) {
    for (const char* path : {
             "/arcgis/rest/services/Tools/Buffer/GPServer/Buffer/execute",
             "/arcgis/rest/services/Tools/Buffer/GPServer/Buffer/submitJob",
             "/arcgis/rest/services/Tools/GPServer/Export/EXECUTE",
             "/arcgis/rest/services/Tools/Buffer/GPServer/uploads/upload",
             "/arcgis/rest/services/Tools/Buffer/GPServer/uploads/upload/",
             "/arcgis/rest/services/Parcels/FeatureServer/0/applyEdits",
             "/arcgis/rest/services/Parcels/FeatureServer/applyEdits",
             "/arcgis/rest/services/Parcels/FeatureServer/0/addFeatures",
             "/arcgis/rest/services/Parcels/FeatureServer/0/updateFeatures",
             "/arcgis/rest/services/Parcels/FeatureServer/0/deleteFeatures",
             "/arcgis/rest/services/Parcels/FeatureServer/0/calculate",
             "/arcgis/rest/services/Parcels/FeatureServer/0/append",
             "/arcgis/rest/services/Parcels/FeatureServer/0/12/addAttachment",
             "/arcgis/rest/services/Parcels/MapServer/0/applyEdits",
         })
        EXPECT_TRUE(state_changing(path)) << path;
    for (const char* path : {
             "/arcgis/rest/services/Tools/Buffer/GPServer/Buffer",
             "/arcgis/rest/services/Tools/Buffer/GPServer/Buffer/jobs/j0123456789abcdef0123456789abcdef",
             "/arcgis/rest/services/Tools/Buffer/GPServer/uploads/i1234",
             "/arcgis/rest/services/Parcels/FeatureServer/0/query",
             "/arcgis/rest/services/Maps/Streets/MapServer/export",
             "/arcgis/rest/services/Maps/Streets/MapServer/tile/3/2/1",
             "/arcgis/rest/services/Maps/Streets/MapServer/execute",  // not a GP service
             "/arcgis/rest/info",
             "/portal/sharing/rest/content/items/abc/data",
         })
        EXPECT_FALSE(state_changing(path)) << path;
}

TEST(RetryPolicy, OnlyRequestsThatMayBeReplayedTakeAnyPooledConnection) {
    EXPECT_TRUE(replayable_on_stale_connection(Method::get, false));
    EXPECT_TRUE(replayable_on_stale_connection(Method::head, false));
    EXPECT_FALSE(replayable_on_stale_connection(Method::get, true));
    EXPECT_FALSE(replayable_on_stale_connection(Method::post, false));
    EXPECT_FALSE(replayable_on_stale_connection(Method::put, false));
    EXPECT_FALSE(replayable_on_stale_connection(Method::del, false));
}

}  // namespace
}  // namespace gisgate::proxy

namespace gisgate::proxy {
namespace {

using Action = RetryDecision::Action;

RetryContext context(Failure f, http::Method m, std::uint32_t attempt, std::uint32_t retries,
                     std::string_view job = {}) {
    RetryContext c;
    c.replay.failure = f;
    c.replay.method = m;
    c.attempt = attempt;
    c.retries = retries;
    c.server = "a";
    c.detail = f == Failure::connect_timeout ? "connect timeout" : "Connection refused";
    c.job_id = job;
    return c;
}

// decide_retry(): the retry budget, the job pin, stale connections, and what the client is told.
TEST(DecideRetry, Table) {
    struct Case {
        RetryContext c;
        Action action;
        int status;
        const char* message;  // substring; "" = none expected
    };
    RetryContext stale = context(Failure::closed_without_answer, http::Method::get, 0, 2);
    stale.replay.reused = true;
    RetryContext stale_again = stale;
    stale_again.stale_retries = 4;
    RetryContext bound = context(Failure::closed_without_answer, http::Method::get, 0, 2);
    bound.replay.connection_bound = true;
    const Case cases[] = {
        {context(Failure::connect_failed, http::Method::post, 0, 2), Action::retry_other, 502, "a: Connection refused"},
        {context(Failure::connect_failed, http::Method::post, 2, 2), Action::fail, 502,
         "no server reachable: a: Connection refused"},
        {context(Failure::connect_timeout, http::Method::get, 0, 0), Action::fail, 504,
         "no server reachable: a: connect timeout"},
        {context(Failure::connect_failed, http::Method::get, 0, 2, "j1"), Action::fail, 503,
         "geoprocessing job j1 belongs to server a, which is unreachable"},
        {context(Failure::closed_without_answer, http::Method::get, 0, 2), Action::retry_other, 502,
         "a: closed without answering"},
        {context(Failure::timed_out_without_answer, http::Method::get, 0, 2), Action::retry_other, 504,
         "a: no answer within the server timeout"},
        {context(Failure::timed_out_without_answer, http::Method::get, 1, 1), Action::fail, 504,
         "no server reachable: a: no answer within the server timeout"},
        {context(Failure::closed_without_answer, http::Method::get, 0, 2, "j1"), Action::fail, 502,
         "geoprocessing job j1 belongs to server a, which is failing"},
        {context(Failure::closed_without_answer, http::Method::post, 0, 2), Action::fail, 502,
         "server closed the connection without answering"},
        {context(Failure::timed_out_without_answer, http::Method::post, 0, 2), Action::fail, 504,
         "server did not answer in time"},
        {context(Failure::send_failed, http::Method::post, 0, 2), Action::retry_other, 502,
         "a: failed while receiving the request"},
        {stale, Action::retry_same, 0, ""},
        {stale_again, Action::fail, 502, "server keeps closing connections"},
        {bound, Action::fail, 502, "server closed the connection without answering"},
    };
    for (const Case& k : cases) {
        const RetryDecision d = decide_retry(k.c);
        const std::string what = "failure " + std::to_string(static_cast<int>(k.c.replay.failure)) + " attempt " +
                                 std::to_string(k.c.attempt) + " job '" + std::string(k.c.job_id) + "'";
        EXPECT_EQ(d.action, k.action) << what;
        if (k.action != Action::retry_same) {
            EXPECT_EQ(d.status, k.status) << what;
        }
        EXPECT_NE(d.message.find(k.message), std::string::npos) << what << ": " << d.message;
    }
}

}  // namespace
}  // namespace gisgate::proxy
