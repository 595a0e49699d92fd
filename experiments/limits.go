package experiments

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/pkg/errors"
	"go.yaml.in/yaml/v3"
)

// Resource limits of a recipe and a sweep. They keep a recipe that is
// valid in form from exhausting memory: a model of MaxParams float64
// weights takes 400 MB, and the solver keeps up to three more copies
// (gradients and two moments).
const (
	// MaxRecipeBytes is the maximum size of a recipe file.
	MaxRecipeBytes = 1 << 20
	// MaxParams is the maximum number of parameters (weights and
	// biases) of a recipe's model.
	MaxParams = 50_000_000
	// MaxPenalties is the maximum number of penalties of a recipe.
	MaxPenalties = 64
	// MaxGridPoints is the maximum number of points of a sweep grid.
	MaxGridPoints = 10_000
)

// dataShapes contains the input features, classes and rows of each data
// set, so a recipe's model size and split are checked before the data
// are loaded. Rows is 0 for Fashion-MNIST, whose files may contain a subset.
var dataShapes = map[string]struct{ features, classes, rows int }{
	"digits":        {64, 10, 1797},
	"breast_cancer": {30, 2, 569},
	"fashion_mnist": {784, 10, 0},
}

// paramCount returns the number of weights and biases of the MLP with
// the given input size, hidden widths and classes, as a float64 so that
// absurd widths cannot overflow.
func paramCount(inputs int, hidden []int, classes int) float64 {
	total := 0.0
	in := float64(inputs)
	for _, h := range append(append([]int(nil), hidden...), classes) {
		total += in*float64(h) + float64(h)
		in = float64(h)
	}
	return total
}

// validateSize rejects a model above MaxParams and more than
// MaxPenalties penalties.
func (r *Recipe) validateSize(e *FieldCheck) {
	if len(r.Penalties) > MaxPenalties {
		e.Fail("penalties", "has %d entries, more than the limit of %d", len(r.Penalties),
			MaxPenalties)
	}
	shape, ok := dataShapes[r.Data.Set]
	if !ok {
		return
	}
	if n := paramCount(shape.features, r.Model.Hidden, shape.classes); n > MaxParams {
		e.Fail("model.hidden", "gives %.0f parameters on %s, more than the limit of %d",
			n, r.Data.Set, MaxParams)
	}
}

// checkIntegers walks a YAML value n decoded into type t and returns an
// error for the first number with a fraction (such as 5.9 or 1.5) that
// would land in an integer field, where the decoder truncates it. The
// error gives the line and the dotted path.
func checkIntegers(name string, n *yaml.Node, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if key == "" {
				key = strings.ToLower(f.Name)
			}
			fields[key] = f.Type
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			ft, ok := fields[key]
			if !ok {
				continue // DecodeStrict reports unknown keys
			}
			if err := checkIntegers(name, n.Content[i+1], ft, joinPath(path, key)); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			return nil
		}
		for i, item := range n.Content {
			if err := checkIntegers(name, item, t.Elem(), joinPath(path, strconv.Itoa(i))); err != nil {
				return err
			}
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!float" {
			return nil
		}
		v, err := strconv.ParseFloat(n.Value, 64)
		if err != nil || v != math.Trunc(v) || math.IsInf(v, 0) {
			return errors.Errorf("%s:%d: %s (%s) must be a whole number", name, n.Line, path,
				truncate(n.Value, 80))
		}
	}
	return nil
}

func joinPath(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return fmt.Sprintf("%s.%s", prefix, key)
}
