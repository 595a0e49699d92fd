package experiments

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pkg/errors"
	"go.yaml.in/yaml/v3"
)

// Axis is one dimension of a sweep grid: a recipe path such as
// "solver.lr", "pruning.sparsity" or "penalties.0.schedule", and the
// values it takes, each written as YAML (a number, a string, a flow list
// such as [64, 32]).
type Axis struct {
	Key    string
	Values []string
}

// ParseAxis parses "key=v1,v2,…". Commas inside brackets, braces or
// parentheses do not split, so "model.hidden=[64,32],[128]" has two
// values and "penalties.0.schedule=linear(0,1e-4,0,500)" has one.
func ParseAxis(s string) (Axis, error) {
	key, list, ok := strings.Cut(s, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return Axis{}, errors.Errorf("experiments: grid axis %q: expected key=v1,v2,…", s)
	}
	var values []string
	depth, start := 0, 0
	for i, c := range list {
		switch c {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case ',':
			if depth == 0 {
				values = append(values, strings.TrimSpace(list[start:i]))
				start = i + 1
			}
		}
	}
	values = append(values, strings.TrimSpace(list[start:]))
	for _, v := range values {
		if v == "" {
			return Axis{}, errors.Errorf("experiments: grid axis %q: empty value", s)
		}
	}
	return Axis{Key: key, Values: values}, nil
}

// Setting is one key set to one value.
type Setting struct {
	Key   string
	Value string
}

// Point is one combination of grid values.
type Point []Setting

// Map returns the point as a key → value map.
func (p Point) Map() map[string]string {
	m := make(map[string]string, len(p))
	for _, s := range p {
		m[s.Key] = s.Value
	}
	return m
}

// String returns "key=value key=value".
func (p Point) String() string {
	parts := make([]string, len(p))
	for i, s := range p {
		parts[i] = s.Key + "=" + s.Value
	}
	return strings.Join(parts, " ")
}

// Expand returns the Cartesian product of the axes in a fixed order:
// the last axis varies fastest. No axes give one empty point, and an
// axis without values gives no points. A key or a value of one key
// given twice, the key "name" and more than MaxGridPoints points are
// errors.
func Expand(axes []Axis) ([]Point, error) {
	seen := make(map[string]bool)
	for _, a := range axes {
		if seen[a.Key] {
			return nil, errors.Errorf("experiments: grid key %q given twice", a.Key)
		}
		seen[a.Key] = true
		if a.Key == "name" {
			return nil, errors.New("experiments: name is not a grid key, because every point " +
				"of a sweep shares the sweep's name, so use --name to name the sweep folder")
		}
		values := make(map[string]bool)
		for _, v := range a.Values {
			if values[v] {
				return nil, errors.Errorf("experiments: grid key %q has the value %q twice",
					a.Key, truncate(v, 80))
			}
			values[v] = true
		}
	}
	count := 1
	for _, a := range axes {
		count *= max(len(a.Values), 1)
		if count > MaxGridPoints {
			return nil, errors.Errorf("experiments: the grid has more than %d points (the "+
				"limit), so split the sweep into several", MaxGridPoints)
		}
	}
	points := []Point{nil}
	for _, a := range axes {
		var next []Point
		for _, p := range points {
			for _, v := range a.Values {
				q := append(append(Point(nil), p...), Setting{a.Key, v})
				next = append(next, q)
			}
		}
		points = next
	}
	return points, nil
}

// Shard is one slice of a sweep: the points k with k mod Count == Index.
// Each point k ≥ 0 belongs to exactly one of shards 0 … Count−1.
type Shard struct {
	Index, Count int
}

// Owns reports whether point k belongs to the shard.
func (s Shard) Owns(k int) bool { return k%s.Count == s.Index }

// String returns "i/n".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// ParseShard parses "i/n" with 0 ≤ i < n.
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(s, "/")
	if !ok {
		return Shard{}, errors.Errorf("experiments: shard %q: expected i/n, for example 0/4", s)
	}
	index, err1 := strconv.Atoi(strings.TrimSpace(i))
	count, err2 := strconv.Atoi(strings.TrimSpace(n))
	if err1 != nil || err2 != nil {
		return Shard{}, errors.Errorf("experiments: shard %q: i and n must be integers", s)
	}
	return newShard(index, count, "shard "+strconv.Quote(s))
}

func newShard(index, count int, what string) (Shard, error) {
	if count < 1 {
		return Shard{}, errors.Errorf("experiments: %s: count (%d) must be at least 1", what, count)
	}
	if index < 0 || index >= count {
		return Shard{}, errors.Errorf("experiments: %s: index (%d) is outside [0, %d)",
			what, index, count)
	}
	return Shard{Index: index, Count: count}, nil
}

// ShardFromEnv finds the shard from the environment of a cluster job,
// reading variables through getenv (os.Getenv in the command):
//
//   - a Slurm array job: SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT,
//     with the index counted from SLURM_ARRAY_TASK_MIN when that is set
//     (so --array=1-4 gives shards 0 … 3) in steps of
//     SLURM_ARRAY_TASK_STEP when that is set (so --array=0-6:2 gives
//     shards 0 … 3). An array given as a list, such as --array=1,4,9, has
//     no step and gives wrong shards, so use --shard for it.
//   - a Kubernetes Indexed Job: JOB_COMPLETION_INDEX, with the count
//     given by the caller as indexedCount (the job's completions), which
//     must then be positive.
//
// It returns ok false when neither job kind is present.
func ShardFromEnv(getenv func(string) string, indexedCount int) (s Shard, ok bool, err error) {
	if id := getenv("SLURM_ARRAY_TASK_ID"); id != "" {
		count := getenv("SLURM_ARRAY_TASK_COUNT")
		index, err1 := strconv.Atoi(id)
		n, err2 := strconv.Atoi(count)
		if err1 != nil || err2 != nil {
			return Shard{}, false, errors.Errorf(
				"experiments: SLURM_ARRAY_TASK_ID (%q) and SLURM_ARRAY_TASK_COUNT (%q) must be integers",
				id, count)
		}
		if min := getenv("SLURM_ARRAY_TASK_MIN"); min != "" {
			m, err := strconv.Atoi(min)
			if err != nil {
				return Shard{}, false, errors.Errorf(
					"experiments: SLURM_ARRAY_TASK_MIN (%q) must be an integer", min)
			}
			index -= m
		}
		if step := getenv("SLURM_ARRAY_TASK_STEP"); step != "" {
			k, err := strconv.Atoi(step)
			if err != nil || k < 1 {
				return Shard{}, false, errors.Errorf(
					"experiments: SLURM_ARRAY_TASK_STEP (%q) must be a positive integer", step)
			}
			if index%k != 0 {
				return Shard{}, false, errors.Errorf("experiments: SLURM_ARRAY_TASK_ID (%s) is "+
					"not SLURM_ARRAY_TASK_MIN plus a multiple of SLURM_ARRAY_TASK_STEP (%d)", id, k)
			}
			index /= k
		}
		s, err := newShard(index, n, "Slurm array task")
		return s, err == nil, err
	}
	if id := getenv("JOB_COMPLETION_INDEX"); id != "" {
		index, err := strconv.Atoi(id)
		if err != nil {
			return Shard{}, false, errors.Errorf(
				"experiments: JOB_COMPLETION_INDEX (%q) must be an integer", id)
		}
		if indexedCount < 1 {
			return Shard{}, false, errors.Errorf(
				"experiments: JOB_COMPLETION_INDEX is set (%d) but the shard count is missing, "+
					"so pass the job's completions as the count", index)
		}
		s, err := newShard(index, indexedCount, "Indexed Job")
		return s, err == nil, err
	}
	return Shard{}, false, nil
}

// ApplyPoint sets every key of p in the YAML recipe source and parses the
// result with ParseRecipe, so a grid value is validated exactly as if it
// had been written in the file. A key whose parent sections are missing
// gets them, but a list index must exist.
func ApplyPoint(name string, source []byte, p Point) (*Recipe, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(source, &root); err != nil {
		return nil, errors.WithMessage(yamlError(name, err, sections, nil), "experiments")
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 ||
		root.Content[0].Kind != yaml.MappingNode {
		return nil, errors.Errorf("experiments: %s: a recipe is a mapping of keys", name)
	}
	for _, s := range p {
		var value yaml.Node
		if err := yaml.Unmarshal([]byte(s.Value), &value); err != nil || len(value.Content) == 0 {
			return nil, errors.Errorf("experiments: grid value %s=%s is not valid YAML", s.Key, s.Value)
		}
		if err := setPath(root.Content[0], strings.Split(s.Key, "."), value.Content[0]); err != nil {
			return nil, errors.Wrapf(err, "experiments: grid key %s", s.Key)
		}
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&root); err != nil {
		return nil, errors.Wrap(err, "experiments: ApplyPoint")
	}
	if err := enc.Close(); err != nil {
		return nil, errors.Wrap(err, "experiments: ApplyPoint")
	}
	r, err := ParseRecipe(name+" with "+truncate(p.String(), 80), b.Bytes())
	if err != nil {
		return nil, err
	}
	return r, nil
}

// setPath replaces (or adds) the value at path below n.
func setPath(n *yaml.Node, path []string, value *yaml.Node) error {
	key := path[0]
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value != key {
				continue
			}
			if len(path) == 1 {
				n.Content[i+1] = value
				return nil
			}
			return setPath(n.Content[i+1], path[1:], value)
		}
		child := value
		if len(path) > 1 {
			child = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			if err := setPath(child, path[1:], value); err != nil {
				return err
			}
		}
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, child)
		return nil
	case yaml.SequenceNode:
		i, err := strconv.Atoi(key)
		if err != nil || i < 0 || i >= len(n.Content) {
			return errors.Errorf("list index %q is outside [0, %d)", key, len(n.Content))
		}
		if len(path) == 1 {
			n.Content[i] = value
			return nil
		}
		return setPath(n.Content[i], path[1:], value)
	}
	return errors.Errorf("cannot set %q: its parent is a scalar, not a mapping or a list", key)
}

// SweepPoint is one grid point of a sweep with the recipe it runs.
type SweepPoint struct {
	Index  int
	Point  Point
	Recipe *Recipe
}

// PlanSweep expands the axes over the YAML recipe source and builds and
// validates the recipe of every point (see ApplyPoint), so a bad grid
// value fails before any point runs. Each point's recipe is renamed
// "<recipe name>-p<index>".
func PlanSweep(name string, source []byte, axes []Axis) ([]SweepPoint, error) {
	points, err := Expand(axes)
	if err != nil {
		return nil, err
	}
	out := make([]SweepPoint, len(points))
	for k, p := range points {
		r, err := ApplyPoint(name, source, p)
		if err != nil {
			return nil, err
		}
		r.Name = fmt.Sprintf("%s-p%d", r.Name, k)
		out[k] = SweepPoint{Index: k, Point: p, Recipe: r}
	}
	return out, nil
}

// PointDir returns the run folder of point k inside a sweep folder.
func PointDir(dir string, k int) string { return filepath.Join(dir, fmt.Sprintf("point-%03d", k)) }
