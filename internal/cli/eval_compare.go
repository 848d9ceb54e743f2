package cli

import (
	"fmt"
	"os"

	"github.com/longctx/longctx/internal/eval/report"
)

// evalCompareCmd prints the per-task, per-length difference of two runs.
func evalCompareCmd(env *Env) error {
	fs := newFlags(env, "eval compare", "RUN_A RUN_B  (run directories or their summary.json)")
	pos, err := parse(fs, env.Args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return fmt.Errorf("%w: eval compare needs two runs, got %d", errUsage, len(pos))
	}
	a, err := report.Load(pos[0])
	if err != nil {
		return err
	}
	b, err := report.Load(pos[1])
	if err != nil {
		return err
	}
	report.WriteCompare(env.Stdout, a, b)
	return nil
}

// evalReportCmd rewrites a run's report.html (and heatmap) from its
// summary.json and run.json.
func evalReportCmd(env *Env) error {
	fs := newFlags(env, "eval report", "RUN  (a run directory)")
	pos, err := parse(fs, env.Args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: eval report needs one run directory", errUsage)
	}
	if st, err := os.Stat(pos[0]); err != nil || !st.IsDir() {
		return fmt.Errorf("%w: eval report needs a run directory, not %s", errUsage, pos[0])
	}
	r, err := report.Load(pos[0])
	if err != nil {
		return err
	}
	// The report is made from the run's files, which stay as they are.
	if err := writeReport(r.Dir, r); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "eval: wrote %s/report.html\n", r.Dir)
	return nil
}
