// Package tracesuite runs the context-traceback benchmark as an eval suite
// (longctx eval --suite trace): trace.BenchCasesCounted's generated cases
// with known sources (needle facts, two-hop answers, injected
// instructions) at each length, traced by each method on the built-in
// model (Local) or, for TracLLM's log-probability methods, on an
// OpenAI-compatible server (Endpoint).
//
// Each trace is a row of the run's results.sqlite, keyed by the tracer,
// the case's document, question and answer, the method and its options,
// so a rerun resumes and a finished run reruns from the store; stored
// rankings are rescored with the run's K. Run returns the suite's summary
// cells ("<method>/<kind>/p@1" and "<method>/<kind>/r@K" per length,
// 0..1) and one trace.BenchRow per method, kind and length with seconds
// and model passes per trace (as measured when each trace ran).
package tracesuite
