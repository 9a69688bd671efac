// The header compiles as C++ (g++ -std=c++17 -Wall -Wextra -Werror) and links: the status enum,
// the opaque handles and every function, called the way C++ code would.
#include "trailstore.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace {

// Owning wrappers a C++ user would write.
struct StoreFree {
    void operator()(trailstore_store *s) const { trailstore_store_free(s); }
};
struct StringFree {
    void operator()(char *s) const { trailstore_string_free(s); }
};
using StorePtr = std::unique_ptr<trailstore_store, StoreFree>;
using StringPtr = std::unique_ptr<char, StringFree>;

int failures = 0;

void expect(bool ok, const char *what) {
    if (!ok) {
        std::fprintf(stderr, "C++ check failed: %s (%s)\n", what, trailstore_last_error_message());
        failures++;
    }
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s STORE_DIR\n", argv[0]);
        return 2;
    }
    expect(std::string(trailstore_version()).size() > 0, "version");

    trailstore_store *raw = nullptr;
    trailstore_status status = trailstore_store_open(argv[1], &raw);
    expect(status == TRAILSTORE_STATUS_OK, "open");
    StorePtr store(raw);

    char *out = nullptr;
    status = trailstore_store_call(store.get(), "add_project", R"({"name": "From C++"})", &out);
    StringPtr project(out);
    expect(status == TRAILSTORE_STATUS_OK, "add_project");
    expect(std::string(project.get()).find("\"From C++\"") != std::string::npos, "project json");

    status = trailstore_store_call(store.get(), "add_project", "{}", &out);
    expect(status == TRAILSTORE_STATUS_VALIDATION, "validation");
    expect(std::string(trailstore_last_error_field()) == "name", "field");
    expect(std::string(trailstore_status_name(status)) == "validation", "status name");
    expect(trailstore_last_error_code() == TRAILSTORE_STATUS_VALIDATION, "last code");

    // Every other function is at least named, so a declaration that C++ rejects would show.
    auto functions = {
        reinterpret_cast<void (*)()>(&trailstore_store_import_file),
        reinterpret_cast<void (*)()>(&trailstore_store_import_json),
        reinterpret_cast<void (*)()>(&trailstore_case_get),
        reinterpret_cast<void (*)()>(&trailstore_case_add),
        reinterpret_cast<void (*)()>(&trailstore_case_update),
        reinterpret_cast<void (*)()>(&trailstore_case_delete),
        reinterpret_cast<void (*)()>(&trailstore_case_get_history),
        reinterpret_cast<void (*)()>(&trailstore_section_get_cases),
        reinterpret_cast<void (*)()>(&trailstore_journal_get_pending),
        reinterpret_cast<void (*)()>(&trailstore_cases_search),
        reinterpret_cast<void (*)()>(&trailstore_store_pull),
        reinterpret_cast<void (*)()>(&trailstore_store_push),
        reinterpret_cast<void (*)()>(&trailstore_conflicts_list),
        reinterpret_cast<void (*)()>(&trailstore_conflicts_resolve),
        reinterpret_cast<void (*)()>(&trailstore_bundle_export),
        reinterpret_cast<void (*)()>(&trailstore_bundle_import),
        reinterpret_cast<void (*)()>(&trailstore_batch_begin),
        reinterpret_cast<void (*)()>(&trailstore_batch_call),
        reinterpret_cast<void (*)()>(&trailstore_batch_commit),
        reinterpret_cast<void (*)()>(&trailstore_batch_rollback),
        reinterpret_cast<void (*)()>(&trailstore_batch_free),
    };
    for (auto f : functions) expect(f != nullptr, "function");

    // bool in the header is C++'s bool.
    std::uint64_t count = 0;
    std::string bundle = std::string(argv[1]) + "/changes.tsb";
    expect(trailstore_bundle_export(store.get(), bundle.c_str(), false, &count) ==
               TRAILSTORE_STATUS_OK,
           "bundle export");
    char *found = nullptr;  // written only on success
    status = trailstore_cases_search(store.get(), 1, "", R"({"count": true})", &found);
    expect(status == TRAILSTORE_STATUS_NOT_FOUND && found == nullptr,
           "search of a project that is not there");

    trailstore_batch *batch = nullptr;
    expect(trailstore_batch_begin(store.get(), &batch) == TRAILSTORE_STATUS_OK, "batch");
    expect(trailstore_batch_rollback(batch) == TRAILSTORE_STATUS_OK, "rollback");
    trailstore_batch_free(batch);

    if (failures == 0) std::printf("C++: ok\n");
    return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
