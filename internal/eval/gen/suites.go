package gen

import (
	"fmt"
	"strconv"
	"strings"
)

// Suites lists the generated suites.
func Suites() []string { return []string{"niah", "ruler", "needlebench", "threading", "longbio"} }

// Tasks lists a generated suite's tasks in report order (nil for an unknown
// suite). The niah grid's tasks are its depths, written "depth=<percent>";
// DepthTasks makes them.
func Tasks(suite string) []string {
	switch suite {
	case "ruler":
		return RulerTasks()
	case "needlebench":
		return NeedleBenchTasks()
	case "threading":
		return ThreadingTasks()
	case "longbio":
		return LongBioTasks()
	}
	return nil
}

// DepthTasks names the niah cells of the given depths.
func DepthTasks(depths []int) []string {
	out := make([]string, len(depths))
	for i, d := range depths {
		out[i] = "depth=" + strconv.Itoa(d)
	}
	return out
}

// Sample makes sample index of a generated suite's task at length tokens.
func (g *Generator) Sample(suite, task string, length, index int) (Sample, error) {
	switch suite {
	case "niah":
		d, err := strconv.Atoi(strings.TrimPrefix(task, "depth="))
		if err != nil || !strings.HasPrefix(task, "depth=") {
			return Sample{}, fmt.Errorf("gen: niah task %q (want depth=<percent>)", task)
		}
		return g.NIAH(length, d, index, g.cfg.NIAH)
	case "ruler":
		return g.Ruler(task, length, index)
	case "needlebench":
		return g.NeedleBench(task, length, index)
	case "threading":
		return g.Threading(task, length, index)
	case "longbio":
		return g.LongBio(task, length, index)
	}
	return Sample{}, fmt.Errorf("gen: unknown suite %q (have %s)", suite, strings.Join(Suites(), ", "))
}
