// Package enginetest gives tests the embedded default model's engine,
// loaded once per test binary and shared (an engine is read-only).
package enginetest
