package main

import (
	"fmt"
	"math"
	"math/rand"
	"strconv"
	"strings"
)

// Builders of the JSON value description (see main.go).
type V = map[string]interface{}

func str(s string) V                   { return V{"str": s} }
func num(i int64) V                    { return V{"int": i} }
func flt(f string) V                   { return V{"float": f} }
func boolean(b bool) V                 { return V{"bool": b} }
func null() V                          { return V{"null": true} }
func seq(items ...V) V                 { return V{"seq": append([]V{}, items...)} }
func pair(k string, v V) []interface{} { return []interface{}{k, v} }
func mapping(pairs ...[]interface{}) V {
	return V{"map": append([][]interface{}{}, pairs...)}
}

// asValue and asKey place a string where the generators put most strings.
func asValue(s string) V { return mapping(pair("k", str(s))) }
func asKey(s string) V   { return mapping(pair(s, str("v"))) }

// words builds a string of n words of the given length separated by sep.
func words(n, length int, sep string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = strings.Repeat(string(rune('a'+i%26)), length)
	}
	return strings.Join(parts, sep)
}

func cases() []V {
	var out []V
	add := func(v ...V) { out = append(out, v...) }

	// Every ASCII character alone, leading, inside, trailing, and next to spaces.
	for c := 0; c < 128; c++ {
		ch := string(rune(c))
		for _, s := range []string{ch, ch + "a", "a" + ch, "a" + ch + "b", "a " + ch + " b", ch + " a", "a " + ch} {
			add(asValue(s))
		}
		add(asKey(ch+"a"), asKey("a"+ch+"b"), asKey("a "+ch))
	}
	// Indicator pairs and document markers.
	for _, s := range []string{"---", "--- a", "...", "... a", "--", "-a", "- a", "-", "? a", "?a", ": a", ":a",
		"a:", "a: b", "a:b", "a :b", "a #b", "a#b", "#a", "[a]", "{a}", "a,b", "a, b", "!a", "&a", "*a",
		"%a", "@a", "`a", "|", ">", "|-", "'a'", "\"a\"", "a'b", "a\"b", "a\\b", "http://x:80/y#z",
		"foo: bar", "{{ $labels.instance }}", "$1", "${1}", "__name__", "a=~\"b.*\"", "<<", "= ", "="} {
		add(asValue(s), asKey(s))
	}

	// YAML 1.1 keywords and look-alikes in several casings.
	for _, w := range []string{"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", "nan", "inf",
		".inf", "-.inf", "+.inf", ".nan", "infinity", "none", "nil", "tilde"} {
		for _, s := range []string{w, strings.ToUpper(w), strings.Title(w), mixCase(w), w + " ", " " + w, w + "x"} {
			add(asValue(s))
		}
		add(asKey(w))
	}

	// Numbers in many notations.
	for _, s := range []string{"0", "1", "-1", "+1", "-0", "+0", "00", "01", "07", "08", "09", "0x1F", "0X1F", "0x",
		"0xG", "0o17", "0O17", "0o8", "0b101", "0B101", "0b", "0b2", "0b+1", "0b-1", "-0b101", "-0b-1", "+0b1",
		"1_000", "_1", "1_", "1__0", "+_1", "1e3", "1E3", "1e+3", "1e-3", "1e", "1e+", "1.5", ".5", "5.", "-.5",
		"+.5", "-5.", "1.", ".", "-.", "+", "1.2.3", "1e400", "-1e400", ".1e400", ".1e-400", "1e-400", "._5",
		".5_5", ".5e1_0", ".5e", "0.", "0.0", "-0.0", "1,000", "1 000", "1%", "$1", "0x1p-2", "Infinity", "NaN",
		"+inf", "-Inf", "1:20", "1:20:30.5", "-1:20", "+1:20", "190:20:30", "1:60", "1:5", "1_0:2", "1:20:",
		"1::20", ":20", "1:2a", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
		"-9223372036854775809", "18446744073709551615", "18446744073709551616", "99999999999999999999999",
		"0xFFFFFFFFFFFFFFFF", "0x1FFFFFFFFFFFFFFFF", "12345678901234567890123", "1.7976931348623157e308",
		"2e308", "1e-5", "0.000001", "123abc", "1a", "0x1.8p1", "1_000.5", "1_000e3", "--1", "+-1", "-+1"} {
		add(asValue(s))
	}
	for _, s := range []string{"1", "1.5", "0x10", "1:20", "-1", "1e3"} {
		add(asKey(s))
	}

	// Timestamps (yaml.v2 resolves a few layouts).
	for _, s := range []string{"2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14T21:59:43.10+05:00",
		"2001-12-14 21:59:43.10", "2001-12-14T21:59:43Z", "2001-12-14T21:59:43z", "2001-1-1", "2001-1-1T1:2:3Z",
		"2001-02-30", "2000-02-29", "1900-02-29", "2001-13-01", "2001-00-01", "2001-12-00", "2001-12-32",
		"2001-12-14T24:00:00Z", "2001-12-14T23:60:00Z", "2001-12-14T23:59:60Z", "2001-12-14T21:59:43+25:00",
		"2001-12-14T21:59:43+24:00", "2001-12-14T21:59:43+05:61", "2001-12-14T21:59:43*05:00",
		"2001-12-14T21:59:43+0500", "2001-12-14T21:59:43,5Z", "2001-12-14  21:59:43", "2001-12-14 21:59:43 -5",
		"2001-12-14 21:59:43.", "2001-12-14T21:59:43.Z", "2001-12-14T21:59", "2001-12-14T21:59:43",
		"20011-12-14", "201-12-14", "2001-012-14", "2001-12-014", "2001-12-14x", "2001-12", "2001-",
		"2001-12-14 21:59:43.123456789123", "+2001-12-14", "2001-12-14T21:59:43.5-05:00x", "2001-12-14\t21:59:43"} {
		add(asValue(s))
	}

	// Durations and other operator-typical values.
	for _, s := range []string{"30s", "1m", "5m0s", "1h30m", "0s", "1d", "10ms", "1.5h", "v2.45.0", "/metrics",
		"https", "__meta_kubernetes_pod_label_(.+)", "(.*)", "${1}:${2}", "$1:$2", "keep", "replace",
		"[a-z]+", "{job=\"x\"}", "job=\"x\"", "10.0.0.1:9090", "::1", "[::1]:9090", "2001:db8::1",
		"a/b/c", "C:\\path", "~/x", "x~", "@", "me@example.com", "100%", "a|b", "a>b", "a&b", "a*b", "a!b"} {
		add(asValue(s))
	}

	// Unicode.
	for _, s := range []string{"é", "café", "日本語", "日本語 テキスト", "emoji 😀", "😀", "\u00a0", "a\u00a0b",
		"\u0085", "a\u0085b", "\u2028", "a\u2028b", "a\u2029b", "\ufeff", "\ufeffa", "a\ufeff", "\ufffe", "\uffff",
		"\ufffd", "\u007f", "a\u007fb", "\u0080", "\u009f", "\u00a1", "\u200b", "\ue000", "\ud7ff", "a\u2028",
		"\u2028a", "é " + words(20, 4, " "), "ü" + strings.Repeat("ä", 100) + " x y"} {
		add(asValue(s))
	}
	for _, s := range []string{"é", "😀", "a\u2028b", "\ufeffa"} {
		add(asKey(s))
	}

	// Line breaks, tabs and spaces.
	for _, s := range []string{"a\n", "a\nb", "a\nb\n", "a\n\n", "a\n\n\n", "\n", "\n\n", "\na", "\n\na", " a\nb",
		"  a\nb", "a \nb", "a\n b", "a\nb ", "a\n\nb", "a\n \nb", "a\tb\nc", "a\r\nb", "a\rb", "\r", "a\r",
		"a\n\tb", "\ta\nb", "a\nb\t", "#a\nb", "- a\nb", "a: b\nc: d", "a\n#b", "a\n---\nb", "---\na",
		"\u2028a\nb", "a\u0085\nb", " ", "  ", "\t", "a\tb", "a\t", "\ta", "a  b", "a   b", " a", "a ", " a ",
		"a\u00a0", "\u00a0a", "a\x00b", "\x1b[0m", "a\bb", "\x01", "a\vb", "a\fb",
		"line one\nline two with more words\n  indented line\n", "expr: |\n  rate(x[5m])\n"} {
		add(asValue(s))
	}
	for _, s := range []string{"a\nb", "a\n", "\n", "a\tb", " a", "a ", "", "a\rb"} {
		add(asKey(s))
	}

	// Long strings around the best width (80), at several indentation depths.
	for n := 60; n <= 100; n += 3 {
		for _, sep := range []string{" ", "  ", ", "} {
			s := words(n/5, 4, sep)
			add(asValue(s))
			add(asValue("* " + s))
			add(asValue("\t" + s))
		}
	}
	for total := 70; total <= 96; total++ {
		// One space at varying places in a long word run.
		for _, at := range []int{10, 70, 75, 76, 77, 78, 79, 80, 81, 85} {
			if at >= total-1 {
				continue
			}
			s := strings.Repeat("x", at) + " " + strings.Repeat("y", total-at-1)
			add(asValue(s))
		}
	}
	long := words(30, 6, " ")
	add(asValue(strings.Repeat("z", 200)))
	add(asValue(long), asValue("'"+long), asValue("\""+long), asValue(long+" "), asValue("true "+long))
	add(asValue(long + "\n" + long))
	add(asValue(strings.Replace(long, " ", "  ", -1)))
	add(asValue(strings.Replace(long, " ", "\t ", -1)))
	add(asValue(strings.Replace(long, " ", " \t", -1)))
	add(asValue(strings.Replace(long, " ", "\u00a0 ", -1)))
	add(seq(str(long), str("'"+long), str("a\tb "+long)))
	inner := mapping(pair("d", str(long)), pair("e", str("*"+long)), pair("f", str("\t"+long)))
	add(mapping(pair("a", mapping(pair("b", mapping(pair("c", seq(inner))))))))
	add(str(long), str("'"+long), str("\t"+long))
	add(asKey(long), asKey(strings.Repeat("k", 128)), asKey(strings.Repeat("k", 129)),
		asKey(strings.Repeat("é", 64)), asKey(strings.Repeat("é", 65)), asKey("*"+long), asKey("\t"+long))
	add(mapping(pair(long, mapping(pair("x", num(1)))), pair(long+"\n", seq(str("a"))), pair("y", seq()), pair(long+"x", mapping())))

	// PromQL and descriptions as the operator writes them.
	exprs := []string{
		`sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{job="kubelet", metrics_path="/metrics/cadvisor", image!=""}[5m])) > 0.9 * on (namespace) group_left() kube_resourcequota{job="kube-state-metrics", type="hard", resource="cpu"}`,
		`(kube_deployment_spec_replicas{job="kube-state-metrics"} != kube_deployment_status_replicas_available{job="kube-state-metrics"}) and (changes(kube_deployment_status_replicas_updated{job="kube-state-metrics"}[10m]) == 0)`,
		`The API server is burning too much error budget. This alert fires when the error rate exceeds the threshold for more than 15 minutes.`,
		`{{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) is restarting {{ printf "%.2f" $value }} times / 10 minutes.`,
		"sum(rate(http_requests_total[5m]))\n  /\nsum(rate(http_requests_total{code=~\"5..\"}[5m]))",
		`absent(up{job="prometheus"} == 1)`,
		`histogram_quantile(0.99, sum(rate(apiserver_request_duration_seconds_bucket{job="apiserver",verb!~"LIST|GET|WATCH"}[5m])) by (le, verb, resource))  > 1`,
	}
	for _, e := range exprs {
		add(asValue(e))
		rule := mapping(pair("alert", str("A")), pair("expr", str(e)), pair("for", str("15m")),
			pair("labels", mapping(pair("severity", str("warning")))),
			pair("annotations", mapping(pair("description", str(e)))))
		group := mapping(pair("name", str("g")), pair("rules", seq(rule)))
		add(mapping(pair("groups", seq(group))))
	}

	// Scalars of other types.
	for _, f := range []string{"0", "-0", "1", "-1", "1.5", "0.1", "0.3333333333333333", "1e6", "123456", "1234567",
		"1e20", "1e21", "123456789012345678901234", "1e-4", "1e-5", "0.0001234", "0.00001234", "inf", "-inf", "nan",
		"5e-324", "1.7976931348623157e308", "100", "1e100", "-2.5e-10", "12345.678", "1e+22", "9007199254740993"} {
		add(mapping(pair("f", flt(f))))
	}
	for _, i := range []int64{0, 1, -1, 42, 9223372036854775807, -9223372036854775808} {
		add(mapping(pair("i", num(i))))
	}
	add(mapping(pair("t", boolean(true)), pair("f", boolean(false)), pair("n", null())))

	// Structures.
	add(null(), boolean(true), num(7), flt("2.5"), str(""), str("a"), str("a\nb"), str("a\n"), str("\n"), str(" a"))
	add(mapping(), seq(), seq(mapping()), seq(seq()), mapping(pair("a", mapping())), mapping(pair("a", seq())))
	add(seq(str("a"), num(1), null(), boolean(false), seq(str("b"), seq(str("c"))), mapping(pair("d", str("e")))))
	add(seq(seq(mapping(pair("a", num(1)), pair("b", num(2))))))
	add(seq(mapping(pair("a", seq(str("x"), str("y"))), pair("b", mapping(pair("c", seq(mapping(pair("d", seq())))))))))
	add(mapping(pair("a", seq(seq(str("x")), seq(), mapping(), null()))))
	add(mapping(pair("", str("")), pair("~", null()), pair("null", seq())))
	add(mapping(pair("a", str("x\ny")), pair("b", seq(str("x\ny\n"), str("x\n\n"))), pair("c", mapping(pair("d", str(" x\ny"))))))
	add(seq(str("a\nb"), mapping(pair("k", str("a\nb")))))
	add(mapping(pair("a\nb", mapping(pair("c", num(1)))), pair("x\ny", seq(str("z"))), pair("p\nq", str("r\ns"))))
	add(mapping(pair("scrape_configs", seq(mapping(
		pair("job_name", str("serviceMonitor/default/app/0")),
		pair("honor_labels", boolean(false)),
		pair("kubernetes_sd_configs", seq(mapping(pair("role", str("endpoints")), pair("namespaces", mapping(pair("names", seq(str("default")))))))),
		pair("scrape_interval", str("30s")),
		pair("relabel_configs", seq(
			mapping(pair("source_labels", seq(str("job"))), pair("target_label", str("__tmp_prometheus_job_name"))),
			mapping(pair("action", str("keep")), pair("source_labels", seq(str("__meta_kubernetes_service_label_app"), str("__meta_kubernetes_service_labelpresent_app"))), pair("regex", str("(app);true"))),
			mapping(pair("source_labels", seq(str("__meta_kubernetes_endpoint_address_target_kind"), str("__meta_kubernetes_endpoint_address_target_name"))), pair("separator", str(";")), pair("regex", str("Node;(.*)")), pair("replacement", str("${1}")), pair("target_label", str("node"))),
			mapping(pair("action", str("hashmod")), pair("modulus", num(1)), pair("source_labels", seq(str("__address__"))), pair("target_label", str("__tmp_hash"))),
		)),
		pair("metric_relabel_configs", seq()),
	)))))
	for d := 0; d < 4; d++ {
		v := str(long)
		for i := 0; i < d; i++ {
			if i%2 == 0 {
				v = mapping(pair(fmt.Sprintf("k%d", i), v))
			} else {
				v = seq(v)
			}
		}
		add(v, mapping(pair("top", v)), seq(v))
	}

	// Seeded random cases (math/rand's seeded stream is stable across Go
	// versions): number-like texts, float bit patterns, and whole trees.
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 300; i++ {
		s := randomText(r, "0123456789+-._eE", "xXoObB:aAfFiInN", 1+r.Intn(8))
		add(mapping(pair("k", str(s)), pair(s, null())))
	}
	for i := 0; i < 200; i++ {
		f := math.Float64frombits(r.Uint64())
		add(mapping(pair("f", flt(strconv.FormatFloat(f, 'g', -1, 64)))))
	}
	for i := 0; i < 400; i++ {
		add(randomTree(r, 0))
	}
	return out
}

var trickyPieces = []string{"a", "b", "x", " ", " ", "  ", "-", ":", "#", "'", "\"", "\\", "!", "&", "*", "?", "|", ">",
	"%", "@", "`", ",", "[", "]", "{", "}", ".", "~", "+", "0", "1", "9", "_", "e", "\t", "\n", "\r", "\u00a0", "é",
	"😀", "\u2028", "\u0085", "\ufeff", "\x00", "\x7f", "true", "null", "0x", "1e", "---", ": ", " #"}

// randomText draws n characters, mostly from common and sometimes from rare.
func randomText(r *rand.Rand, common, rare string, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		pool := common
		if r.Intn(7) == 0 {
			pool = rare
		}
		b.WriteByte(pool[r.Intn(len(pool))])
	}
	return b.String()
}

// randomString is either a short string of tricky pieces or a long line of
// words (sometimes with tricky pieces in between) that needs folding.
func randomString(r *rand.Rand) string {
	var b strings.Builder
	if r.Intn(3) > 0 {
		for n := r.Intn(6); n > 0; n-- {
			b.WriteString(trickyPieces[r.Intn(len(trickyPieces))])
		}
		return b.String()
	}
	for target := 60 + r.Intn(140); b.Len() < target; {
		if r.Intn(10) == 0 {
			b.WriteString(trickyPieces[r.Intn(len(trickyPieces))])
		}
		b.WriteString(strings.Repeat(string(rune('a'+r.Intn(8))), 1+r.Intn(10)))
		b.WriteString([]string{" ", " ", " ", " ", " ", "  ", ": ", " #", "\n"}[r.Intn(9)])
	}
	return b.String()
}

func randomTree(r *rand.Rand, depth int) V {
	switch k := r.Intn(10); {
	case depth > 3 || k < 5:
		switch r.Intn(8) {
		case 0:
			return num(r.Int63n(2000000) - 1000000)
		case 1:
			return flt(strconv.FormatFloat(r.NormFloat64()*math.Pow(10, float64(r.Intn(30)-10)), 'g', -1, 64))
		case 2:
			return []V{boolean(true), boolean(false), null()}[r.Intn(3)]
		default:
			return str(randomString(r))
		}
	case k < 7:
		var items []V
		for n := r.Intn(4); n > 0; n-- {
			items = append(items, randomTree(r, depth+1))
		}
		return seq(items...)
	default:
		var pairs [][]interface{}
		for n := r.Intn(4); n > 0; n-- {
			pairs = append(pairs, pair(randomString(r), randomTree(r, depth+1)))
		}
		return mapping(pairs...)
	}
}

// mixCase alternates lower and upper case, starting lower ("tRuE").
func mixCase(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i%2 == 1 {
			b.WriteString(strings.ToUpper(string(r)))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
