package runner

import (
	"fmt"
	"slices"

	"github.com/longctx/longctx/internal/eval/gen"
)

// Source makes the samples of one suite.
type Source interface {
	Suite() string
	// Tasks lists the cells of the suite in report order.
	Tasks() []string
	// Items is how many samples task has (0: as many as asked for).
	Items(task string) int
	Sample(task string, length, index int) (gen.Sample, error)
}

// generated is a Source over a gen.Generator suite.
type generated struct {
	g     *gen.Generator
	suite string
	tasks []string
}

// Generated is the Source of a generated suite (gen.Suites), restricted to
// tasks (nil: all; for niah, tasks are gen.DepthTasks and required).
func Generated(g *gen.Generator, suite string, tasks []string) (Source, error) {
	if !slices.Contains(gen.Suites(), suite) {
		return nil, fmt.Errorf("runner: %q is not a generated suite", suite)
	}
	all := gen.Tasks(suite)
	if len(tasks) == 0 {
		if suite == "niah" {
			return nil, fmt.Errorf("runner: niah needs depths")
		}
		tasks = all
	}
	if suite != "niah" {
		for _, t := range tasks {
			if !slices.Contains(all, t) {
				return nil, fmt.Errorf("runner: %s has no task %q", suite, t)
			}
		}
	}
	return &generated{g: g, suite: suite, tasks: tasks}, nil
}

func (s *generated) Suite() string    { return s.suite }
func (s *generated) Tasks() []string  { return s.tasks }
func (s *generated) Items(string) int { return 0 }
func (s *generated) Sample(task string, length, index int) (gen.Sample, error) {
	return s.g.Sample(s.suite, task, length, index)
}

// only restricts a Source to some of its tasks.
type only struct {
	Source
	tasks []string
}

func (o only) Tasks() []string { return o.tasks }

// Only restricts src to tasks, which must all be src's; no tasks leaves
// src as it is.
func Only(src Source, tasks []string) (Source, error) {
	if len(tasks) == 0 {
		return src, nil
	}
	have := src.Tasks()
	for _, t := range tasks {
		if !slices.Contains(have, t) {
			return nil, fmt.Errorf("runner: %s has no task %q", src.Suite(), t)
		}
	}
	return only{src, tasks}, nil
}
