package chat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// Templates see JSON objects as gonja's ordered exec.Dict so that tojson and
// items() keep the key order a client sent, as Python dicts do. Go maps have
// no order; they become dicts with sorted keys.

// templateValue converts a caller's value into one the template engine
// handles: json.RawMessage is decoded, maps become ordered dicts, and
// containers are converted recursively.
func templateValue(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool, int, int64, float64:
		return x, nil
	case int32:
		return int(x), nil
	case float32:
		return float64(x), nil
	case json.RawMessage:
		return decodeOrderedJSON(x)
	case json.Number:
		return jsonNumber(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			c, err := templateValue(e)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out, nil
	case map[string]any:
		d := exec.NewDict()
		for _, k := range sortedKeys(x) {
			c, err := templateValue(x[k])
			if err != nil {
				return nil, err
			}
			dictSet(d, k, c)
		}
		return *d, nil
	default:
		return nil, fmt.Errorf("unsupported value type %T", v)
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// dictSet sets key k, replacing an existing pair in place.
func dictSet(d *exec.Dict, k string, v any) {
	for _, p := range d.Pairs {
		if p.Key.IsString() && p.Key.String() == k {
			p.Value = exec.AsValue(v)
			return
		}
	}
	d.Pairs = append(d.Pairs, &exec.Pair{Key: exec.AsValue(k), Value: exec.AsValue(v)})
}

// decodeOrderedJSON decodes one JSON value, objects into ordered dicts.
func decodeOrderedJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeJSONValue(dec)
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: data after the value")
	}
	return v, nil
}

func decodeJSONValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '[':
			list := []any{}
			for dec.More() {
				e, err := decodeJSONValue(dec)
				if err != nil {
					return nil, err
				}
				list = append(list, e)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return list, nil
		case '{':
			d := exec.NewDict()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key %v is not a string", kt)
				}
				v, err := decodeJSONValue(dec)
				if err != nil {
					return nil, err
				}
				dictSet(d, k, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return *d, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case json.Number:
		return jsonNumber(t)
	default: // string, bool, nil
		return t, nil
	}
}

// jsonNumber keeps integers as ints, as Python's json.loads does.
func jsonNumber(n json.Number) (any, error) {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return int(i), nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return nil, fmt.Errorf("number %q out of range", n)
	}
	return f, nil
}
