package experiments

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pkg/errors"
	"go.yaml.in/yaml/v3"
)

// KeyLines maps the dotted path of every key of a YAML document, such as
// "solver.lr" or "penalties.0.term", to its line. A sequence item's
// index is one element of the path.
type KeyLines map[string]int

// Line returns the line of path, or of its nearest parent that has one.
func (k KeyLines) Line(path string) (int, bool) {
	for {
		if l, ok := k[path]; ok {
			return l, true
		}
		i := strings.LastIndex(path, ".")
		if i < 0 {
			return 0, false
		}
		path = path[:i]
	}
}

// DecodeStrict decodes data, which must be one YAML mapping, into v (a
// pointer to a struct with yaml tags) and returns the line of every
// key. An unknown key, a value of the wrong type, a number with a
// fraction for an integer field and a second document are errors of the form "name:line: message", with name usually the
// file name. sections maps the Go type name of each struct that v
// contains to the word used for it in messages, as in `unknown key
// "lr_shedule" in solver`. A type missing from it is named by its Go
// name.
func DecodeStrict(name string, data []byte, v any, sections map[string]string) (KeyLines, error) {
	if line, ok := invalidUTF8Line(data); !ok {
		return nil, errors.Errorf("%s:%d: not valid UTF-8 text, so not a YAML recipe", name, line)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(name, err, sections, nil)
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, errors.Errorf("%s: empty recipe", name)
	}
	if root.Content[0].Kind != yaml.MappingNode {
		return nil, errors.Errorf("%s:%d: a recipe is a mapping of keys", name,
			root.Content[0].Line)
	}
	lines := make(KeyLines)
	collectLines(root.Content[0], "", lines)
	if err := checkIntegers(name, root.Content[0], reflect.TypeOf(v), ""); err != nil {
		return nil, err
	}

	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return nil, yamlError(name, err, sections, lines)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		return nil, errors.Errorf("%s: more than one YAML document", name)
	}
	return lines, nil
}

// collectLines walks a mapping and records each key's line under its
// dotted path.
func collectLines(n *yaml.Node, prefix string, lines KeyLines) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := prefix + n.Content[i].Value
			lines[key] = n.Content[i].Line
			collectLines(n.Content[i+1], key+".", lines)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			key := prefix + strconv.Itoa(i)
			lines[key] = item.Line
			collectLines(item, key+".", lines)
		}
	}
}

var (
	unknownField = regexp.MustCompile(`field (\S+) not found in type (?:[\w/]+\.)?(\w+)`)
	badValue     = regexp.MustCompile("(?s)cannot unmarshal !\\S* `(.*)` into (\\S+)")
	badNode      = regexp.MustCompile(`cannot unmarshal !!(seq|map) into (\S+)`)
)

// invalidUTF8Line returns the line of the first byte of data that is not
// valid UTF-8, and ok true when there is none.
func invalidUTF8Line(data []byte) (line int, ok bool) {
	if utf8.Valid(data) {
		return 0, true
	}
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return 1 + bytes.Count(data[:i], []byte("\n")), false
		}
		i += size
	}
	return 1, false
}

// yamlError turns a YAML error into one message per line of the
// document in the form "name:line: key: message", with Go type names
// replaced by recipe words. keys, when not nil, gives the key path shown
// for each line, the shortest on it. Of several problems on one line,
// such as each item of "seeds: [a, b]", only the first is kept.
func yamlError(name string, err error, sections map[string]string, keys KeyLines) error {
	var lines []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		lines = te.Errors
	} else {
		lines = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	keyAt := map[string]string{} // line number → the shortest key path on it
	for path, l := range keys {
		n := strconv.Itoa(l)
		if old, ok := keyAt[n]; !ok || len(path) < len(old) || (len(path) == len(old) && path < old) {
			keyAt[n] = path
		}
	}
	seen := map[string]bool{}
	var out []string
	for _, l := range lines {
		l = unknownField.ReplaceAllStringFunc(l, func(m string) string {
			sub := unknownField.FindStringSubmatch(m)
			section, ok := sections[sub[2]]
			if !ok {
				section = sub[2]
			}
			return fmt.Sprintf("unknown key %q in %s", sub[1], section)
		})
		l = badValue.ReplaceAllStringFunc(l, func(m string) string {
			sub := badValue.FindStringSubmatch(m)
			return fmt.Sprintf("invalid value %q (want %s)", truncate(sub[1], 80),
				goTypeWord(sub[2]))
		})
		l = badNode.ReplaceAllStringFunc(l, func(m string) string {
			sub := badNode.FindStringSubmatch(m)
			kind := map[string]string{"seq": "a list", "map": "a mapping"}[sub[1]]
			return fmt.Sprintf("invalid value: %s (want %s)", kind, goTypeWord(sub[2]))
		})
		if rest, ok := strings.CutPrefix(l, "line "); ok {
			if n, msg, ok := strings.Cut(rest, ": "); ok {
				if seen[n] {
					continue
				}
				seen[n] = true
				if key := keyAt[n]; key != "" && !strings.HasPrefix(msg, "unknown key") {
					msg = key + ": " + msg
				}
				l = n + ": " + msg
			}
		}
		out = append(out, name+":"+strings.ReplaceAll(l, "\n", `\n`))
	}
	return errors.New(strings.Join(out, "; "))
}

// goTypeWord names a Go type the way a recipe writer thinks of it.
func goTypeWord(t string) string {
	switch {
	case strings.HasPrefix(t, "uint"):
		return "a non-negative integer"
	case strings.HasPrefix(t, "int"):
		return "an integer"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case t == "string":
		return "a string"
	case strings.HasPrefix(t, "map["):
		return "a mapping"
	}
	if i := strings.LastIndex(t, "."); i >= 0 {
		t = t[i+1:]
	}
	return "a " + t + " section"
}

// FieldCheck collects the first invalid value of a decoded document,
// with the line of its key.
type FieldCheck struct {
	name  string
	lines KeyLines
	err   error
}

// NewFieldCheck returns a FieldCheck for the document called name whose
// key lines are lines; lines may be nil for a value built in code.
func NewFieldCheck(name string, lines KeyLines) *FieldCheck {
	return &FieldCheck{name: name, lines: lines}
}

// Fail records "name:line: path message" at the line of path, with the
// message formatted from format and args, and keeps only the first
// failure. String arguments longer than 80 bytes are cut to 80.
func (c *FieldCheck) Fail(path string, format string, args ...any) {
	if c.err != nil {
		return
	}
	// A long value, such as a schedule spec of thousands of characters,
	// is shortened so the message stays readable.
	for i, a := range args {
		if text, ok := a.(string); ok {
			args[i] = truncate(text, 80)
		}
	}
	msg := path + " " + fmt.Sprintf(format, args...)
	if line, ok := c.lines.Line(path); ok {
		c.err = errors.Errorf("%s:%d: %s", c.name, line, msg)
		return
	}
	c.err = errors.Errorf("%s: %s", c.name, msg)
}

// Err returns the first failure, or nil.
func (c *FieldCheck) Err() error { return c.err }
