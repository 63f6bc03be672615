// GPServer: task descriptions, synchronous execute, and asynchronous jobs (submitJob, status, results,
// inputs, cancel). Job URLs are accepted both task-scoped (.../<task>/jobs/<id>, the classic form) and
// service-scoped (.../GPServer/jobs/<id>, newer servers).
//
// An unknown job id answers HTTP 200 with {"error":{"code":400,...}}, as ArcGIS does: a client (or a load
// balancer) cannot tell "wrong site" from the status code, only from the body.
#include <fmt/format.h>

#include "sim/handlers.hpp"
#include "sim/image_bytes.hpp"

namespace gisgate::sim {

using nlohmann::json;

namespace {

const char* execution_type(const GpTask& t) {
    return t.async ? "esriExecutionTypeAsynchronous" : "esriExecutionTypeSynchronous";
}

Reply service_description(const Service& svc, const SimRequest& req) {
    json tasks = json::array();
    bool any_async = false;
    for (const auto& t : svc.tasks) {
        tasks.push_back(t.name);
        any_async = any_async || t.async;
    }
    json body = {{"currentVersion", kCurrentVersionNumber},
                 {"serviceDescription", ""},
                 {"tasks", tasks},
                 {"executionType", any_async ? "esriExecutionTypeAsynchronous" : "esriExecutionTypeSynchronous"},
                 {"resultMapServerName", ""},
                 {"maximumRecords", 1000},
                 {"capabilities", "Uploads"}};
    return json_reply(body, req.params);
}

Reply task_description(const GpTask& task, const SimRequest& req) {
    json params = json::array();
    for (std::size_t i = 0; i < task.inputs.size(); ++i)
        params.push_back({{"name", task.inputs[i]},
                          {"dataType", "GPString"},
                          {"displayName", task.inputs[i]},
                          {"description", ""},
                          {"direction", "esriGPParameterDirectionInput"},
                          {"defaultValue", ""},
                          {"parameterType", i == 0 ? "esriGPParameterTypeRequired" : "esriGPParameterTypeOptional"},
                          {"category", ""},
                          {"choiceList", json::array()}});
    params.push_back({{"name", task.output},
                      {"dataType", "GPDataFile"},
                      {"displayName", task.output},
                      {"description", ""},
                      {"direction", "esriGPParameterDirectionOutput"},
                      {"defaultValue", nullptr},
                      {"parameterType", "esriGPParameterTypeDerived"},
                      {"category", ""}});
    json body = {{"name", task.name},   {"displayName", task.name},
                 {"description", ""},   {"category", ""},
                 {"helpUrl", ""},       {"executionType", execution_type(task)},
                 {"parameters", params}};
    return json_reply(body, req.params);
}

Reply execute(const Site& site, const Service& svc, const GpTask& task, const SimRequest& req) {
    if (task.async)
        return bad_request("Unable to complete operation.", {"Execute operation is not allowed on this service."});
    // A synchronous tool's output file, e.g. a printed map: an image under arcgisoutput that can be fetched.
    std::uint64_t seed = hash64(req.target + req.body);
    std::string url = fmt::format("{}/arcgis/rest/directories/arcgisoutput/{}/_ags_{:016x}_800x600.png", req.base_url(),
                                  service_dir_name(svc), seed);
    json results = json::array({{{"paramName", task.output}, {"dataType", "GPDataFile"}, {"value", {{"url", url}}}}});
    Reply reply = json_reply(json{{"results", results}, {"messages", json::array()}}, req.params);
    reply.work = site.options.execute_time;
    return reply;
}

Reply submit_job(Site& site, const Service& svc, const GpTask& task, const SimRequest& req) {
    if (!task.async)
        return bad_request("Unable to complete operation.", {"Submit Job operation is not allowed on this service."});
    std::map<std::string, std::string> inputs;
    for (const auto& name : task.inputs)
        if (auto it = req.params.find(name); it != req.params.end())
            inputs[name] = it->second;
    Job job = site.jobs.submit(svc.full_name(), task.name, std::move(inputs));
    return json_reply(json{{"jobId", job.id}, {"jobStatus", to_string(JobStatus::submitted)}}, req.params);
}

Reply unknown_job(const std::string& id) {
    return arcgis_error(400, fmt::format("Job '{}' does not exist or is inaccessible.", id), 200);
}

json messages_json(JobStatus status) {
    json m = json::array();
    auto add = [&](const char* text) {
        m.push_back({{"type", "esriJobMessageTypeInformative"}, {"description", text}});
    };
    add("Submitted.");
    if (status == JobStatus::executing || status == JobStatus::succeeded)
        add("Executing...");
    if (status == JobStatus::succeeded)
        add("Succeeded.");
    if (status == JobStatus::cancelled)
        add("Cancelled.");
    return m;
}

Reply job_status(const Site& site, const Job& job, const GpTask& task, const SimRequest& req) {
    JobStatus status = site.jobs.status(job);
    json results = json::object(), inputs = json::object();
    if (status == JobStatus::succeeded)
        results[task.output] = {{"paramUrl", "results/" + task.output}};
    for (const auto& name : task.inputs) inputs[name] = {{"paramUrl", "inputs/" + name}};
    json body = {{"jobId", job.id},
                 {"jobStatus", to_string(status)},
                 {"results", results},
                 {"inputs", inputs},
                 {"messages", messages_json(status)}};
    return json_reply(body, req.params);
}

std::string job_output_url(const SimRequest& req, const Job& job) {
    return fmt::format("{}/arcgis/rest/directories/arcgisjobs/{}/{}/scratch/output.txt", req.base_url(),
                       job_dir_name(job.service), job.id);
}

// rest = {<jobId>, ...} after ".../jobs".
Reply job_resource(Site& site, const Service& svc, const GpTask* scoped_task, const SimRequest& req, Segments rest) {
    if (rest.empty())
        return not_found();
    const std::string& id = rest[0];
    auto job = site.jobs.find(id);
    // A job of another service or task is as unknown here as one from another site.
    if (!job || !iequals(job->service, svc.full_name()) || (scoped_task && !iequals(job->task, scoped_task->name)))
        return unknown_job(id);
    const GpTask* task = svc.find_task(job->task);
    if (!task)
        return unknown_job(id);
    if (rest.size() == 1)
        return job_status(site, *job, *task, req);
    if (rest.size() == 2 && iequals(rest[1], "cancel")) {
        auto cancelled = site.jobs.cancel(id);
        return json_reply(json{{"jobId", id}, {"jobStatus", to_string(site.jobs.status(*cancelled))}}, req.params);
    }
    if (rest.size() == 3 && iequals(rest[1], "results")) {
        if (!iequals(rest[2], task->output))
            return bad_request("Unable to complete operation.", {fmt::format("Parameter '{}' not found", rest[2])});
        if (site.jobs.status(*job) != JobStatus::succeeded)
            return bad_request("Unable to complete operation.", {"Job has not succeeded; results are not available."});
        json body = {
            {"paramName", task->output}, {"dataType", "GPDataFile"}, {"value", {{"url", job_output_url(req, *job)}}}};
        return json_reply(body, req.params);
    }
    if (rest.size() == 3 && iequals(rest[1], "inputs")) {
        for (const auto& name : task->inputs) {
            if (!iequals(name, rest[2]))
                continue;
            auto it = job->inputs.find(name);
            json body = {
                {"paramName", name}, {"dataType", "GPString"}, {"value", it == job->inputs.end() ? "" : it->second}};
            return json_reply(body, req.params);
        }
        return bad_request("Unable to complete operation.", {fmt::format("Parameter '{}' not found", rest[2])});
    }
    return not_found();
}

}  // namespace

Reply handle_gp_server(Site& site, const Service& svc, const SimRequest& req, Segments rest) {
    if (rest.empty())
        return service_description(svc, req);
    if (iequals(rest[0], "jobs"))
        return job_resource(site, svc, nullptr, req, rest.subspan(1));
    const GpTask* task = svc.find_task(rest[0]);
    if (!task)
        return not_found(fmt::format("Task '{}' not found", rest[0]));
    if (rest.size() == 1)
        return task_description(*task, req);
    if (rest.size() == 2 && iequals(rest[1], "execute"))
        return execute(site, svc, *task, req);
    if (rest.size() == 2 && iequals(rest[1], "submitJob"))
        return submit_job(site, svc, *task, req);
    if (iequals(rest[1], "jobs"))
        return job_resource(site, svc, task, req, rest.subspan(2));
    return not_found();
}

}  // namespace gisgate::sim
