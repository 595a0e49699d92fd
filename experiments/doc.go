// Package experiments runs regsched's experiments from recipes and
// reports what the schedules did.
//
// A Recipe is a YAML file that names everything a run depends on: the
// data set and its split, the network, the inner solver, the scheduled
// penalties, the pruning schedule, the number of steps, the evaluation
// cadence and the seeds. ParseRecipe reads it strictly, so a misspelt
// key or an invalid value is an error that gives its line:
//
//	r, err := experiments.ParseRecipe("recipe.yaml", data)
//	// experiments: recipe.yaml:7: unknown key "lr_shedule" in solver
//
// Run trains every variant (the dense baseline when the recipe requests
// it, then the regularized or pruned model) and every seed, and writes a
// run folder: recipe.yaml (the recipe as run, so any result can be
// rerun), metrics.jsonl (one Record per evaluation, carrying the recipe
// hash, the seed, the source revision and every metric), summary.json
// and a plot of sparsity and accuracy over steps:
//
//	res, err := experiments.Run(ctx, r, "runs/digits-gmp", experiments.RunOptions{})
//
// Each step is Gorgonia's loop — Let the minibatch, RunAll, Step the
// wrapped solver, Reset — and the training loss and accuracies are
// measured on whole splits in separate evaluation graphs. The default
// recipe (DefaultRecipeYAML) trains a 64-128-64-10 perceptron on the
// handwritten digits, dense and with cubic gradual magnitude pruning to
// 90% sparsity.
//
// A sweep expands a grid of recipe values (Axis, Expand, PlanSweep) and
// runs one Shard of it: point k belongs to shard k mod n, so each point
// belongs to exactly one shard, and ShardFromEnv finds the shard of a Slurm
// array task or a Kubernetes Indexed Job. LoadRecords merges the
// metrics of runs and shards, and WriteReport writes a Markdown report
// with SVG plots, among them one per run group with its phases shaded.
//
// # Phases
//
// A report cuts each run into phases (see Phase) by comparing
// consecutive evaluations a and b. With s the achieved sparsity and L
// the training loss on the whole training split, a window is
// simplification when s rises by at least half a percentage point while
// L rises by at most 5% of L(a) plus 0.01 nats; forced pruning when s
// rises that much but L rises more; suppression when s moves less than
// half a point while a penalty (λ > 0) or a pruning target above 0 is in
// force; unregularized when s is flat and nothing is in force; and
// regrowth when s falls by half a point or more. Simplification is a
// penalty driving the model simpler at no cost to the fit; suppression
// is a penalty that only holds the weights back.
//
// Limitations: the runner trains multilayer perceptrons with softmax
// cross-entropy on classification sets only, in float64. Penalties take
// the terms l1, l2, elastic_net, group_lasso and log_sum, and pruning
// gives each weight matrix its own copy of one sparsity schedule. The
// phase rules read the training loss at evaluations only, so a cadence
// coarser than the schedule's changes merges phases. Mask flips are
// recorded per evaluation window, so the report plots the mean flips
// per mask update of each window, not every update.
package experiments
