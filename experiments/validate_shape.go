package experiments

import (
	"fmt"
	"math"
	"os"

	"github.com/pkg/errors"

	"github.com/regsched/regsched/solvers"
)

// weightShapes returns the (inputs, outputs) shape of each weight matrix
// w0, w1, … of the recipe's model, or nil when the data set is unknown.
func (r *Recipe) weightShapes() [][2]int {
	shape, ok := dataShapes[r.Data.Set]
	if !ok {
		return nil
	}
	sizes := r.sizes(shape.features, shape.classes)
	out := make([][2]int, len(sizes)-1)
	for k := range out {
		out[k] = [2]int{sizes[k], sizes[k+1]}
	}
	return out
}

// paramsCovered returns the names of the parameters a params key
// selects ("w0", "b0", …) in a model of layers weight matrices.
func paramsCovered(key string, layers int) []string {
	var names []string
	for k := range layers {
		w, b := fmt.Sprintf("w%d", k), fmt.Sprintf("b%d", k)
		switch key {
		case "weights":
			names = append(names, w)
		case "biases":
			names = append(names, b)
		case "all":
			names = append(names, w, b)
		case w:
			names = append(names, w)
		}
	}
	return names
}

// validateDuplicatePenalties rejects two penalties with the same term and
// settings on one parameter, which the regularizer cannot tell apart.
func (r *Recipe) validateDuplicatePenalties(e *FieldCheck) {
	layers := len(r.Model.Hidden) + 1
	type key struct {
		term      string
		ratio     float64
		axis      int
		eps       float64
		parameter string
	}
	first := map[key]int{}
	for i, p := range r.Penalties {
		for _, name := range paramsCovered(p.Params, layers) {
			k := key{p.Term, p.L1Ratio, p.Axis, p.Eps, name}
			if j, ok := first[k]; ok {
				e.Fail(fmt.Sprintf("penalties.%d", i), "puts the term %s on %s a second time, "+
					"after penalties.%d, so merge the two penalties into one", p.Term, name, j)
				return
			}
			first[k] = i
		}
	}
}

// validateStructureFit rejects a pruning structure that does not tile a
// pruned weight matrix, and an N:M structure whose final sparsity is not
// 1 − N/M, the only sparsity N:M pruning gives.
func (r *Recipe) validateStructureFit(e *FieldCheck, final float64) {
	p := r.Pruning
	st, err := parseStructure(p.Structure)
	if err != nil {
		return
	}
	shapes := r.weightShapes()
	for _, name := range paramsCovered(p.Params, len(shapes)) {
		var k int
		if _, err := fmt.Sscanf(name, "w%d", &k); err != nil || k >= len(shapes) {
			continue
		}
		in, out := shapes[k][0], shapes[k][1]
		switch st := st.(type) {
		case solvers.Blocks:
			if in%st.Rows != 0 || out%st.Cols != 0 {
				e.Fail("pruning.structure", "(%s) does not tile %s, whose shape is %d×%d "+
					"(inputs × outputs)", p.Structure, name, in, out)
				return
			}
		case solvers.NM:
			if in%st.M != 0 {
				e.Fail("pruning.structure", "(%s) needs the inputs of %s (%d) to be a "+
					"multiple of %d", p.Structure, name, in, st.M)
				return
			}
		}
	}
	if nm, ok := st.(solvers.NM); ok {
		want := 1 - float64(nm.N)/float64(nm.M)
		if math.Abs(final-want) > 1e-9 {
			e.Fail("pruning.sparsity", "(%v) differs from %v, the sparsity of %s pruning "+
				"(1 − N/M), so set the final sparsity to %v", final, want, p.Structure, want)
		}
	}
}

// validateSplit rejects a test fraction that leaves the training or the
// test split of a built-in data set empty, and a batch larger than the
// training split.
func (r *Recipe) validateSplit(e *FieldCheck) {
	d := r.Data
	shape, ok := dataShapes[d.Set]
	if !ok || shape.rows == 0 || !(d.TestFraction > 0 && d.TestFraction < 1) {
		return
	}
	// The same rounding as datasets.Split.
	test := int(math.Round(d.TestFraction * float64(shape.rows)))
	if test < 1 || test >= shape.rows {
		e.Fail("data.test_fraction", "(%v) of the %d rows of %s leaves the training or the "+
			"test split empty", d.TestFraction, shape.rows, d.Set)
		return
	}
	if train := shape.rows - test; r.BatchSize > train {
		e.Fail("batch_size", "(%d) is larger than the %d training examples of %s",
			r.BatchSize, train, d.Set)
	}
}

// CheckDataPath returns an error when the recipe reads Fashion-MNIST and
// data.path is not a folder. It reads the file system, so ParseRecipe and
// Validate leave it to the caller: a relative path depends on the
// working directory of the run.
func (r *Recipe) CheckDataPath() error {
	d := r.Data
	if d.Set != "fashion_mnist" {
		return nil
	}
	if info, err := os.Stat(d.Path); err != nil || !info.IsDir() {
		return errors.Errorf("experiments: data.path (%q) is not a folder: give the folder "+
			"of the Fashion-MNIST IDX files", d.Path)
	}
	return nil
}
