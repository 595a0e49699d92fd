// Package datasets loads the real data sets that regsched's experiments
// train on, into one in-memory form: a Set of row-major float64 features
// with one label (or regression target) per row.
//
// Three small sets are embedded in the package, so a program that uses
// them needs no files: the handwritten digits (features scaled to
// [0, 1]), breast cancer (raw features) and diabetes (standardized, as
// for scikit-learn's Lasso references). Fashion-MNIST is read from the
// IDX files in a folder the caller names.
//
// A fixed split is a fixed seed:
//
//	all, err := datasets.Digits()
//	if err != nil { ... }
//	train, test, err := datasets.Split(all, 0.25, 1) // 1348 train, 449 test
//
// Split and Permutation depend only on their arguments, across Go
// releases, so a recipe's seed always names the same split.
//
// Limitations: every set is held in memory as float64 (Fashion-MNIST's
// 60000 training images take about 376 MB), and Split is not stratified.
package datasets
