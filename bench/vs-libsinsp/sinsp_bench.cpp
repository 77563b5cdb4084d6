// The loop Falco 0.31 runs over a capture file, on Debian's libsinsp (libs snapshot 2022-03-16):
// sinsp::open(file), then sinsp::next() for every event (libscap decodes, libsinsp's parsers update
// the thread and fd tables) and, with rules, each rule of the event's type evaluated in load order
// the way Falco 0.31's falco_ruleset indexed them (userspace/engine/ruleset.cpp: a filter list per
// PPM event type, from the compiled filter's evttypes(); Falco stops at the first rule that matches).
//
//   sinsp_bench [--rules FILE.tsv] [--mode parse|first|all] [--drop-simple-cons] [--dump RULE] CAPTURE.scap
//
// FILE.tsv: one rule per line, `name<TAB>condition`, macros and lists already expanded (Falco's
// rule loader did that; export-conditions.mjs does it here). Each condition is compiled with
// libsinsp's sinsp_filter_compiler; those it refuses are listed with its message and left out.
// Modes: parse (decode + state, no rules), first (Falco: stop at the first matching rule),
// all (every rule of the type; per-rule match counts, for the cross-check with Kestrel).
// --dump RULE: each event RULE matches on stderr (ts, tid, type), to find where the engines differ.
// --drop-simple-cons: drop the events flagged EF_DROP_SIMPLE_CONS, as Falco 0.31 does without -A.
// Prints one JSON object: events, elapsed_ns (open through the last event; rule compilation is
// before the clock starts, as Falco loads rules before opening the capture), per-rule matches.
#include <sinsp.h>
#include <filter.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

struct rule {
	std::string name;
	sinsp_filter* filter;
	uint64_t matches = 0;
};

struct rejected {
	std::string name;
	std::string error;
};

std::string json_string(const std::string& s) {
	std::string out = "\"";
	for(unsigned char c : s) {
		if(c == '"' || c == '\\') {
			out += '\\';
			out += (char)c;
		} else if(c < 0x20) {
			char buf[8];
			snprintf(buf, sizeof buf, "\\u%04x", c);
			out += buf;
		} else {
			out += (char)c;
		}
	}
	return out + "\"";
}

int usage() {
	fprintf(stderr, "usage: sinsp_bench [--rules FILE.tsv] [--mode parse|first|all] [--drop-simple-cons] [--dump RULE] CAPTURE.scap\n");
	return 2;
}

// Reads FILE.tsv and compiles each condition; a line without a tab is an error naming file:line.
bool load_rules(sinsp& inspector, const std::string& path, std::vector<rule>& rules, std::vector<rejected>& refused) {
	std::ifstream in(path);
	if(!in) {
		fprintf(stderr, "sinsp_bench: cannot read %s\n", path.c_str());
		return false;
	}
	std::string line;
	for(int lineno = 1; std::getline(in, line); lineno++) {
		if(line.empty()) continue;
		size_t tab = line.find('\t');
		if(tab == std::string::npos) {
			fprintf(stderr, "sinsp_bench: %s:%d: expected name<TAB>condition\n", path.c_str(), lineno);
			return false;
		}
		std::string name = line.substr(0, tab);
		try {
			sinsp_filter_compiler compiler(&inspector, line.substr(tab + 1));
			rules.push_back({name, compiler.compile()});
		} catch(const std::exception& e) {
			refused.push_back({name, e.what()});
		}
	}
	return true;
}

}  // namespace

int main(int argc, char** argv) {
	std::string rules_path, mode = "parse", capture, dump;
	bool drop_simple_cons = false;
	for(int i = 1; i < argc; i++) {
		if(!strcmp(argv[i], "--rules") && i + 1 < argc) rules_path = argv[++i];
		else if(!strcmp(argv[i], "--drop-simple-cons")) drop_simple_cons = true;
		else if(!strcmp(argv[i], "--dump") && i + 1 < argc) dump = argv[++i];
		else if(!strcmp(argv[i], "--mode") && i + 1 < argc) mode = argv[++i];
		else if(argv[i][0] == '-') return usage();
		else capture = argv[i];
	}
	if(capture.empty() || (mode != "parse" && mode != "first" && mode != "all")) return usage();
	if(mode != "parse" && rules_path.empty()) {
		fprintf(stderr, "sinsp_bench: --mode %s needs --rules\n", mode.c_str());
		return 2;
	}

	sinsp inspector;
	// as Falco 0.31 does: no reverse DNS of addresses while parsing
	inspector.set_hostname_and_port_resolution_mode(false);
	// Falco 0.31 without -A drops the events flagged EF_DROP_SIMPLE_CONS, close among them, which
	// Kestrel evaluates: by default every event is kept (Falco's -A), so both see the same events
	if(drop_simple_cons) inspector.set_drop_event_flags(EF_DROP_SIMPLE_CONS);

	std::vector<rule> rules;
	std::vector<rejected> refused;
	if(mode != "parse" && !load_rules(inspector, rules_path, rules, refused)) return 1;

	// falco_ruleset: per event type, the rules that can match it, in load order
	std::vector<std::vector<rule*>> by_type(PPM_EVENT_MAX);
	for(auto& r : rules) {
		for(uint16_t t : r.filter->evttypes()) {
			if(t < PPM_EVENT_MAX) by_type[t].push_back(&r);
		}
	}
	const bool first_only = mode == "first";

	uint64_t events = 0;
	auto start = std::chrono::steady_clock::now();
	try {
		inspector.open(capture);
		sinsp_evt* ev;
		for(;;) {
			int32_t rc = inspector.next(&ev);
			if(rc == SCAP_TIMEOUT) continue;
			if(rc == SCAP_EOF) break;
			if(rc != SCAP_SUCCESS) {
				fprintf(stderr, "sinsp_bench: %s: %s\n", capture.c_str(), inspector.getlasterr().c_str());
				return 1;
			}
			events++;
			if(mode == "parse") continue;
			uint16_t type = ev->get_type();
			if(type >= PPM_EVENT_MAX) continue;
			for(rule* r : by_type[type]) {
				if(r->filter->run(ev)) {
					r->matches++;
					if(!dump.empty() && r->name == dump) fprintf(stderr, "%llu %lld %s\n", (unsigned long long)ev->get_ts(), (long long)ev->get_tid(), ev->get_name());
					if(first_only) break;
				}
			}
		}
	} catch(const std::exception& e) {
		fprintf(stderr, "sinsp_bench: %s: %s\n", capture.c_str(), e.what());
		return 1;
	}
	auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count();
	inspector.close();

	std::string out = "{\"engine\":\"libsinsp\",\"mode\":" + json_string(mode) + ",\"events\":" + std::to_string(events) +
		",\"elapsed_ns\":" + std::to_string(elapsed) + ",\"rules\":" + std::to_string(rules.size()) + ",\"refused\":[";
	for(size_t i = 0; i < refused.size(); i++) {
		out += (i ? "," : "") + std::string("{\"name\":") + json_string(refused[i].name) + ",\"error\":" + json_string(refused[i].error) + "}";
	}
	out += "],\"matches\":{";
	bool sep = false;
	for(auto& r : rules) {
		out += (sep ? "," : "") + json_string(r.name) + ":" + std::to_string(r.matches);
		sep = true;
	}
	out += "}}\n";
	fputs(out.c_str(), stdout);
	for(auto& r : rules) delete r.filter;
	return 0;
}
