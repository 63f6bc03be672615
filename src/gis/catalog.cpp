// fetch_catalog: the root listing, then each folder's, then (for drift checks) every service's description,
// a few at a time. Every GET goes through health::Probe, which already handles connect fallbacks, the
// per-request deadline and response framing; here only the ArcGIS meaning of the answers is added.
#include "gis/catalog.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <tuple>

#include "gis/catalog_json.hpp"
#include "health/probe.hpp"

namespace gisgate::gis {

using nlohmann::json;

void CatalogCancel::cancel() {
    cancelled = true;
    for (const auto& weak : probes)
        if (const auto probe = weak.lock()) probe->cancel();
    probes.clear();
}

namespace {

// Descriptions fetched at once from one server: enough to hide round trips, few enough not to load a site
// that is serving real traffic.
constexpr std::size_t kParallelDescriptions = 4;

std::shared_ptr<health::Probe> make_probe(const asio::any_io_executor& executor, const CatalogRequest& request) {
    auto probe = std::make_shared<health::Probe>(executor);
    probe->set_tls(request.tls);
    if (request.cancel) {
        CatalogCancel& cancel = *request.cancel;
        if (cancel.cancelled) probe->cancel();
        std::erase_if(cancel.probes, [](const std::weak_ptr<health::Probe>& p) { return p.expired(); });
        cancel.probes.push_back(probe);
    }
    return probe;
}

enum class Answer : std::uint8_t { json, arcgis_error, failed };

// One GET, parsed. `json`: a JSON object with HTTP 200. `arcgis_error`: a well-formed ArcGIS error answer
// (`doc` holds it, `error` describes it) with HTTP 200 or 4xx. Anything else is `failed`.
awaitable<Answer> get_json(health::Probe& probe, const CatalogRequest& request, const std::string& target, json& doc,
                           std::string& error) {
    co_await probe.get(request.endpoints, request.host, target, request.timeout, kMaxCatalogBody);
    if (request.cancel && request.cancel->cancelled) {
        error = "cancelled";
        co_return Answer::failed;
    }
    if (probe.result().outcome != health::Outcome::success) {
        error = fmt::format("GET {}: {}", target, probe.result().error);
        co_return Answer::failed;
    }
    const health::ResponseCollector& response = probe.response();
    if (response.body_truncated()) {
        error = fmt::format("GET {}: response larger than {} bytes", target, kMaxCatalogBody);
        co_return Answer::failed;
    }
    const int status = response.http_status();
    std::string why;
    const bool parsed = parse_arcgis_json(response.body(), doc, why);
    if (parsed && status == 200) co_return Answer::json;
    const bool arcgis_error = !parsed && !doc.is_discarded() && doc.is_object() && doc.contains("error");
    if (status == 200) {
        error = fmt::format("GET {}: {}", target, why);
        co_return arcgis_error ? Answer::arcgis_error : Answer::failed;
    }
    error = arcgis_error ? fmt::format("GET {}: HTTP {} ({})", target, status, why)
                         : fmt::format("GET {}: HTTP {}", target, status);
    co_return arcgis_error && status >= 400 && status < 500 ? Answer::arcgis_error : Answer::failed;
}

std::string services_target(const CatalogRequest& request, const std::string& path) {
    return path.empty() ? fmt::format("{}/rest/services?f=json", request.context)
                        : fmt::format("{}/rest/services/{}?f=json", request.context, encode_path(path));
}

// Shared by the description workers of one fetch.
struct DescriptionWork {
    explicit DescriptionWork(const asio::any_io_executor& executor) : done(executor) {}
    CatalogRequest request;
    std::vector<CatalogEntry> services;
    std::size_t next = 0;     // the next service to describe
    std::size_t running = 0;  // workers not finished yet
    bool failed = false;
    std::string error;        // the first failure
    asio::steady_timer done;  // cancelled by the last worker to finish, which wakes the fetch
};

void fail(DescriptionWork& work, std::string error) {
    if (work.failed) return;
    work.failed = true;
    work.error = std::move(error);
}

// Describes services until none are left or one fails. A description that is an ArcGIS error (a secured
// service asking for a token, say) is hashed like any other: identical sites answer identically.
awaitable<void> describe_services(std::shared_ptr<DescriptionWork> work, std::shared_ptr<health::Probe> probe) {
    json doc;
    std::string error;
    while (!work->failed && work->next < work->services.size()) {
        const std::size_t index = work->next++;
        const std::string target =
            services_target(work->request, work->services[index].name + "/" + work->services[index].type);
        const Answer answer = co_await get_json(*probe, work->request, target, doc, error);
        if (answer == Answer::failed) {
            fail(*work, std::move(error));
            break;
        }
        work->services[index].description_hash = description_hash(doc);
    }
}

awaitable<bool> describe_all(std::vector<CatalogEntry>& services, const CatalogRequest& request,
                             std::string& error) {
    const auto executor = co_await asio::this_coro::executor;
    auto work = std::make_shared<DescriptionWork>(executor);
    work->request = request;
    work->services = std::move(services);
    const std::size_t workers = std::min(kParallelDescriptions, work->services.size());
    for (std::size_t i = 0; i < workers; ++i) {
        auto probe = make_probe(executor, request);
        ++work->running;
        asio::co_spawn(executor, describe_services(work, std::move(probe)), [work](std::exception_ptr e) {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& ex) {
                    fail(*work, fmt::format("describing services: {}", ex.what()));
                } catch (...) {
                    fail(*work, "describing services: unknown error");
                }
            }
            if (--work->running == 0) work->done.cancel();
        });
    }
    work->done.expires_at(asio::steady_timer::time_point::max());
    while (work->running > 0) {
        error_code ec;
        co_await work->done.async_wait(asio::redirect_error(use_awaitable, ec));
    }
    services = std::move(work->services);
    if (work->failed) error = std::move(work->error);
    co_return !work->failed;
}

}  // namespace

awaitable<std::optional<Catalog>> fetch_catalog(CatalogRequest request, std::string& error) {
    error.clear();
    const auto executor = co_await asio::this_coro::executor;
    const auto probe = make_probe(executor, request);

    std::vector<std::string> folders;
    std::vector<CatalogEntry> services;
    json doc;
    const std::string root = services_target(request, "");
    // Results awaited into named locals: GCC 12 has miscompiled co_await inside conditions here.
    const Answer root_answer = co_await get_json(*probe, request, root, doc, error);
    if (root_answer != Answer::json) co_return std::nullopt;
    if (!parse_listing(doc, "", folders, services, error)) {
        error = fmt::format("GET {}: {}", root, error);
        co_return std::nullopt;
    }
    if (folders.size() > kMaxCatalogFolders) {
        error = fmt::format("GET {}: more than {} folders", root, kMaxCatalogFolders);
        co_return std::nullopt;
    }
    std::vector<std::string> no_subfolders;
    for (const std::string& folder : folders) {
        if (services.size() > kMaxCatalogServices) break;
        const std::string target = services_target(request, folder);
        const Answer answer = co_await get_json(*probe, request, target, doc, error);
        if (answer != Answer::json) co_return std::nullopt;
        if (!parse_listing(doc, folder, no_subfolders, services, error)) {
            error = fmt::format("GET {}: {}", target, error);
            co_return std::nullopt;
        }
    }
    if (services.size() > kMaxCatalogServices) {
        error = fmt::format("{}/rest/services: more than {} services", request.context, kMaxCatalogServices);
        co_return std::nullopt;
    }

    const auto key = [](const CatalogEntry& e) { return std::tie(e.name, e.type); };
    std::sort(services.begin(), services.end(), [&](const CatalogEntry& a, const CatalogEntry& b) {
        return key(a) < key(b);
    });
    services.erase(std::unique(services.begin(), services.end(),
                               [&](const CatalogEntry& a, const CatalogEntry& b) { return key(a) == key(b); }),
                   services.end());

    if (request.with_descriptions && !services.empty()) {
        const bool described = co_await describe_all(services, request, error);
        if (!described) co_return std::nullopt;
    }
    Catalog catalog;
    catalog.services = std::move(services);
    co_return std::move(catalog);
}

}  // namespace gisgate::gis
