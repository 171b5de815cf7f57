// Command yaml-oracle prints what gopkg.in/yaml.v2 v2.4.0 `yaml.Marshal`
// produces for a value tree described in JSON, so that promop's Rust YAML
// emitter can be checked byte for byte against the real thing.
//
// Value description (one JSON object with exactly one key):
//
//	{"map":[["key",VALUE],...]}  ordered mapping (yaml.MapSlice)
//	{"seq":[VALUE,...]}          sequence ([]interface{})
//	{"str":"..."}                string
//	{"int":1}                    int64
//	{"float":1.5} / {"float":"inf"}  float64 (strings go through strconv.ParseFloat)
//	{"bool":true}                bool
//	{"null":true}                nil
//
// Usage:
//
//	yaml-oracle < value.json   prints the YAML document
//	yaml-oracle fixture        prints [{"input":VALUE,"expected":"..."}] for the built-in cases
//	yaml-oracle batch < values.json  the same for a JSON array of values
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"

	"gopkg.in/yaml.v2"
)

func build(raw json.RawMessage) (interface{}, error) {
	var obj map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil {
		return nil, err
	}
	if len(obj) != 1 {
		return nil, fmt.Errorf("value must have exactly one key: %s", raw)
	}
	for kind, body := range obj {
		switch kind {
		case "map":
			var pairs [][2]json.RawMessage
			if err := json.Unmarshal(body, &pairs); err != nil {
				return nil, err
			}
			out := yaml.MapSlice{}
			for _, p := range pairs {
				var key string
				if err := json.Unmarshal(p[0], &key); err != nil {
					return nil, err
				}
				v, err := build(p[1])
				if err != nil {
					return nil, err
				}
				out = append(out, yaml.MapItem{Key: key, Value: v})
			}
			return out, nil
		case "seq":
			var items []json.RawMessage
			if err := json.Unmarshal(body, &items); err != nil {
				return nil, err
			}
			out := []interface{}{}
			for _, it := range items {
				v, err := build(it)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			return out, nil
		case "str":
			var s string
			err := json.Unmarshal(body, &s)
			return s, err
		case "int":
			return strconv.ParseInt(string(body), 10, 64)
		case "float":
			text := string(body)
			var s string
			if json.Unmarshal(body, &s) == nil {
				text = s
			}
			return strconv.ParseFloat(text, 64)
		case "bool":
			var b bool
			err := json.Unmarshal(body, &b)
			return b, err
		case "null":
			return nil, nil
		}
		return nil, fmt.Errorf("unknown kind %q", kind)
	}
	return nil, nil
}

func marshal(raw json.RawMessage) (string, error) {
	v, err := build(raw)
	if err != nil {
		return "", err
	}
	out, err := yaml.Marshal(v)
	return string(out), err
}

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "fixture" || os.Args[1] == "batch") {
		type entry struct {
			Input    json.RawMessage `json:"input"`
			Expected string          `json:"expected"`
		}
		var inputs []json.RawMessage
		if os.Args[1] == "batch" {
			if err := json.NewDecoder(os.Stdin).Decode(&inputs); err != nil {
				fail(err)
			}
		} else {
			for _, c := range cases() {
				raw, err := json.Marshal(c)
				if err != nil {
					fail(err)
				}
				inputs = append(inputs, raw)
			}
		}
		var entries []entry
		for _, raw := range inputs {
			out, err := marshal(raw)
			if err != nil {
				fail(fmt.Errorf("%s: %w", raw, err))
			}
			entries = append(entries, entry{raw, out})
		}
		enc := json.NewEncoder(os.Stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", " ")
		if err := enc.Encode(entries); err != nil {
			fail(err)
		}
		return
	}
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	out, err := marshal(raw)
	if err != nil {
		fail(err)
	}
	fmt.Print(out)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "yaml-oracle:", err)
	os.Exit(1)
}
