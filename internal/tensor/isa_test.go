package tensor

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// evexOnly files hold kernels that are registered only where the CPU has
// AVX512-VNNI (hasVNNI gates their init); every other function in the
// project's assembly must run on an AVX2+FMA+F16C CPU, unless its name
// says AVX512 or VNNI.
var evexOnly = map[string]bool{
	"tensor/batch_amd64.s":  true,
	"tensor/batchk_amd64.s": true,
	"tensor/gemm_amd64.s":   true,
	"tensor/packed_amd64.s": true,
}

// evexSyntax matches what the Go assembler can only encode as EVEX:
// embedded broadcast, zeroing and rounding suffixes, Z and K registers,
// X/Y16-31, and the mnemonics AVX2 lacks.
var (
	evexSuffix   = regexp.MustCompile(`\.(BCST|Z|SAE|RN_SAE|RZ_SAE|RD_SAE|RU_SAE)\b`)
	evexRegister = regexp.MustCompile(`\b(Z([0-9]|[12][0-9]|3[01])|K[0-7]|[XY](1[6-9]|2[0-9]|3[01]))\b`)
	evexMnemonic = regexp.MustCompile(`^(VPTERNLOG|VPERM[TI]2|VPDPB|VPDPW|VRNDSCALE|VSCALEF|VGETEXP|VGETMANT|VRCP14|VRSQRT14|VFIXUPIMM|VPCONFLICT|VPLZCNT|VPRO[LR]|VEXPAND|VCOMPRESS|VALIGN[DQ]|VPBLENDM|VBLENDM|VMOVDQ[AU](8|16|32|64)\b|V[A-Z]+(32|64)X[248]\b|VPABSQ|VPM(AX|IN)[SU]Q|VPMULLQ|VPSRAV?Q|VCVT[A-Z0-9]*QQ|VCVT[A-Z0-9]*UDQ|VCVTU|VPMOV(US|S)?(DB|DW|QB|QW|QD|WB)\b|VPMOV[BWDQ]2M|VPMOVM2|K[A-Z]+[BWDQ]\b|VP(SLL|SRL|SRA)VW|VPERM[BW]\b|VPOPCNT|VPMADD52|VPMULTISHIFT|VPSH[LR]D|VPCMPU?[BWDQ]\b|VPTESTN?M|VPSHUFBITQMB|VGF2P8|VDBPSADBW|VRANGE|VREDUCE|VFPCLASS|VCVT[A-Z0-9]*BF16|VDPBF16)`)
)

// TestBaselineAssemblyIsVEX checks, with the macros expanded, that no
// AVX2 kernel uses an AVX-512 encoding: such an instruction passes every
// test on an AVX-512 machine and is SIGILL on the AVX2 CPUs the baseline
// promises to run on (swiGLUAVX2's exp once took its coefficients with an
// embedded broadcast).
func TestBaselineAssemblyIsVEX(t *testing.T) {
	files, err := filepath.Glob("../*/*_amd64.s")
	if err != nil || len(files) == 0 {
		t.Fatalf("no assembly found: %v", err)
	}
	checked := 0
	for _, f := range files {
		rel := filepath.ToSlash(strings.TrimPrefix(f, "../"))
		if evexOnly[rel] {
			continue
		}
		for fn, lines := range asmFunctions(t, f) {
			if strings.HasSuffix(fn, "AVX512") || strings.HasSuffix(fn, "VNNI") {
				continue
			}
			checked++
			for _, l := range lines {
				mnemonic, _, _ := strings.Cut(l, " ")
				if evexSuffix.MatchString(l) || evexRegister.MatchString(l) || evexMnemonic.MatchString(mnemonic) {
					t.Errorf("%s: %s is a baseline (AVX2) kernel but uses AVX-512: %s", rel, fn, l)
				}
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d baseline functions found: the scan is broken", checked)
	}
}

// asmFunctions returns each TEXT symbol's instructions with the file's
// #define macros expanded and comments, labels and directives dropped.
func asmFunctions(t *testing.T, path string) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	macros := map[string][]string{}
	funcs := map[string][]string{}
	var cur, def string // the function, and the macro being defined
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		cont := strings.HasSuffix(line, `\`)
		line = strings.TrimSpace(strings.TrimSuffix(line, `\`))
		if def != "" {
			if line != "" {
				macros[def] = append(macros[def], line)
			}
			if !cont {
				def = ""
			}
			continue
		}
		if rest, ok := strings.CutPrefix(line, "#define "); ok {
			name, body, _ := strings.Cut(strings.TrimSpace(rest), " ")
			name, _, _ = strings.Cut(name, "(")
			macros[name] = nil
			if body = strings.TrimSpace(body); body != "" {
				macros[name] = append(macros[name], body)
			}
			if cont {
				def = name
			}
			continue
		}
		if name, ok := strings.CutPrefix(line, "TEXT "); ok {
			name, _, _ = strings.Cut(name, "(")
			cur = strings.TrimPrefix(name, "·")
			funcs[cur] = nil
			continue
		}
		if cur == "" || line == "" || strings.HasPrefix(line, "#") || strings.HasSuffix(line, ":") ||
			strings.HasPrefix(line, "DATA ") || strings.HasPrefix(line, "GLOBL ") {
			continue
		}
		funcs[cur] = append(funcs[cur], line)
	}
	// Expand macros (nested ones too) now that every definition is known.
	var expand func(lines []string, depth int) []string
	expand = func(lines []string, depth int) []string {
		var out []string
		for _, l := range lines {
			word, _, _ := strings.Cut(l, " ")
			word, _, _ = strings.Cut(word, "(")
			if body, ok := macros[word]; ok && depth < 8 {
				out = append(out, expand(body, depth+1)...)
				continue
			}
			out = append(out, l)
		}
		return out
	}
	for fn, lines := range funcs {
		funcs[fn] = expand(lines, 0)
	}
	return funcs
}
