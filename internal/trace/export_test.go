package trace

// Helpers of the internal tests for the external ones (package
// trace_test), which may import packages that import trace.
var (
	DefaultEngineForTest = defaultEngine
	RecordProblemForTest = recordProblem
)
