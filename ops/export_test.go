package ops

// Test helpers shared with the external test package ops_test.
var (
	DenseOf  = denseOf
	FloatsOf = floatsOf
)
