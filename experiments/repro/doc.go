// Package repro holds the drivers behind regsched's paper-style
// reproductions: the logic a reproduction needs beyond a recipe, such as
// a Lasso path swept by a schedule on λ, one-shot versus gradual pruning
// of LeNet-300-100, compaction of structured-pruned perceptrons into
// smaller dense ones, and sensitivity to input perturbation.
//
// A trained model leaves the Gorgonia graph as a Net: plain float32
// weights that the package evaluates, compacts and perturbs without a
// graph.
//
//	net, _ := repro.NewNet([]int{784, 300, 100, 10}, 1)
//	_ = repro.PruneUnits(net, 0, 0.75)      // drop 75% of the first hidden layer
//	small, stats, _ := repro.Compact(net)   // same outputs, fewer weights
//	diff, scale, _ := repro.MaxAbsDiff(net, small, x, batch)
//
// Each reproduction runs from a YAML recipe that holds its settings:
// the data folder, seeds, training set-up and the values it sweeps. The
// built-in recipes are experiments/recipes/repro/NAME.yaml, embedded in
// the binary; ParseRecipe reads any other file of the same form, and
// rejects an unknown key or an invalid value with its line number.
//
//	r, _ := repro.Lookup("lasso-path")
//	recipe, _ := r.Recipe()
//	err := recipe.Run(repro.Options{Out: "report"})
//
// Data files are read with package datasets from the recipe's data
// folder. Without one, the digits, the diabetes set and the Lasso
// reference come from copies built into the binary. Fashion-MNIST has
// none, so its reproductions need the folder that holds its IDX files
// (Options.Data). The package never fetches data.
//
// Limitations: models are ReLU perceptrons in float32; Compact removes
// hidden units and inputs but never output units, and its outputs equal
// the original's to float32 rounding, not bit for bit.
package repro
