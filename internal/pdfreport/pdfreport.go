// Package pdfreport renders a project's report (risk score, factors, the
// forecast as a chart, recommended actions, top patterns) as a PDF
// document. The PDF library sits behind Renderer, so that it can be
// replaced without touching the server: the one in use, go-pdf/fpdf, is
// pure Go but no longer developed.
package pdfreport

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/cloudsage/cloudsage/internal/engine"
)

// Document is what a report shows: the project's latest engine report and
// the project's thresholds.
type Document struct {
	Project     string
	GeneratedAt time.Time
	High        float64 // the project's High threshold (0: 70)
	Medium      float64 // the project's Medium threshold (0: 40)
	Report      engine.Report
	MaxActions  int // 0: 10
	MaxPatterns int // 0: 10
}

// Renderer writes a Document as a PDF.
type Renderer interface {
	Render(w io.Writer, d Document) error
}

// New returns the fpdf renderer.
func New() Renderer { return fpdfRenderer{} }

type fpdfRenderer struct{}

const (
	pageW  = 210.0 // A4, mm
	margin = 15.0
	bodyW  = pageW - 2*margin
)

// Render lays the document out on A4 pages.
func (fpdfRenderer) Render(w io.Writer, d Document) error {
	if d.High == 0 {
		d.High = 70
	}
	if d.Medium == 0 {
		d.Medium = 40
	}
	if d.MaxActions == 0 {
		d.MaxActions = 10
	}
	if d.MaxPatterns == 0 {
		d.MaxPatterns = 10
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	tr := pdf.UnicodeTranslatorFromDescriptor("") // UTF-8 to the core fonts' cp1252
	txt := func(s string) string { return tr(s) }
	pdf.SetTitle("CloudSage report: "+d.Project, true)
	pdf.SetCreator("CloudSage", true)
	pdf.SetCreationDate(d.GeneratedAt)
	pdf.SetModificationDate(d.GeneratedAt)
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(true, margin)
	pdf.AliasNbPages("")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-10)
		pdf.SetFont("Helvetica", "", 8)
		pdf.SetTextColor(120, 120, 120)
		pdf.CellFormat(0, 5, fmt.Sprintf("CloudSage report: %s - page %d of {nb}", txt(d.Project), pdf.PageNo()), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	rep := d.Report

	pdf.SetFont("Helvetica", "B", 18)
	pdf.SetTextColor(20, 20, 20)
	pdf.CellFormat(bodyW, 9, txt(d.Project), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 9)
	pdf.SetTextColor(100, 100, 100)
	pdf.CellFormat(bodyW, 5, fmt.Sprintf("Risk report generated %s; analysis at %s; %d events",
		d.GeneratedAt.UTC().Format("2006-01-02 15:04 MST"), rep.At.UTC().Format("2006-01-02 15:04 MST"), rep.Events), "", 1, "L", false, 0, "")
	pdf.Ln(3)

	// Score.
	r, g, b := labelColor(rep.Risk.Label)
	pdf.SetFillColor(r, g, b)
	pdf.SetTextColor(255, 255, 255)
	pdf.SetFont("Helvetica", "B", 22)
	pdf.CellFormat(40, 16, fmt.Sprintf("%.0f", rep.Risk.Score), "", 0, "C", true, 0, "")
	pdf.SetTextColor(20, 20, 20)
	pdf.SetFont("Helvetica", "B", 12)
	pdf.CellFormat(60, 8, "  Risk score: "+strings.ToUpper(orDash(rep.Risk.Label)), "", 2, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 9)
	pdf.CellFormat(120, 8, fmt.Sprintf("  Trend %+.1f per hour; High at %.0f, Medium at %.0f", rep.Risk.Trend, d.High, d.Medium), "", 1, "L", false, 0, "")
	pdf.Ln(4)

	heading(pdf, "Risk factors")
	widths := []float64{50, 28, 28, 30, 44}
	tableHead(pdf, widths, "Factor", "Points", "Weight", "Value", "Status")
	for _, f := range rep.Risk.Factors {
		val := "not measured"
		if f.Measured {
			val = strings.TrimSpace(fmt.Sprintf("%.4g %s", f.Value, f.Unit))
		}
		tableRow(pdf, widths, txt(f.Name), fmt.Sprintf("%.1f", f.Points), fmt.Sprintf("%.0f", f.Weight), txt(val), txt(f.Status))
	}
	pdf.Ln(4)

	heading(pdf, fmt.Sprintf("Forecast: next %d hours", rep.Forecast.HorizonHours))
	pdf.SetFont("Helvetica", "", 9)
	pdf.MultiCell(bodyW, 4.5, txt(fmt.Sprintf("Chance of reaching High: %.0f%%; peak %.0f at %s. %s", rep.Forecast.PHigh*100,
		rep.Forecast.PeakScore, rep.Forecast.PeakTime.UTC().Format("Jan 02 15:04 MST"), rep.Forecast.Why)), "", "L", false)
	chart(pdf, rep.Forecast.Points, d.High, d.Medium)
	pdf.Ln(4)

	heading(pdf, "Recommended actions")
	if len(rep.Actions) == 0 {
		note(pdf, "No action recommended.")
	}
	for i, a := range rep.Actions {
		if i == d.MaxActions {
			note(pdf, fmt.Sprintf("... and %d more in the app.", len(rep.Actions)-i))
			break
		}
		pdf.SetFont("Helvetica", "B", 10)
		pdf.MultiCell(bodyW, 5, txt(fmt.Sprintf("%d. [%s] %s", i+1, a.Priority, a.Title)), "", "L", false)
		pdf.SetFont("Helvetica", "", 9)
		pdf.SetTextColor(70, 70, 70)
		pdf.MultiCell(bodyW, 4.5, txt(a.Why), "", "L", false)
		pdf.SetTextColor(20, 20, 20)
		pdf.Ln(1.5)
	}
	pdf.Ln(3)

	heading(pdf, "Top patterns")
	if len(rep.Patterns) == 0 {
		note(pdf, "No patterns mined yet.")
	} else {
		widths := []float64{20, 22, 138}
		tableHead(pdf, widths, "Count", "Trend", "Template")
		for i, p := range rep.Patterns {
			if i == d.MaxPatterns {
				break
			}
			tableRow(pdf, widths, fmt.Sprint(p.Count), txt(p.Trend), txt(clip(p.Template, 95)))
		}
	}
	return pdf.Output(w)
}

func heading(pdf *fpdf.Fpdf, s string) {
	pdf.SetFont("Helvetica", "B", 12)
	pdf.SetTextColor(20, 20, 20)
	pdf.CellFormat(bodyW, 7, s, "B", 1, "L", false, 0, "")
	pdf.Ln(1.5)
}

func note(pdf *fpdf.Fpdf, s string) {
	pdf.SetFont("Helvetica", "I", 9)
	pdf.CellFormat(bodyW, 5, s, "", 1, "L", false, 0, "")
}

func tableHead(pdf *fpdf.Fpdf, widths []float64, cols ...string) {
	pdf.SetFont("Helvetica", "B", 9)
	pdf.SetFillColor(235, 235, 235)
	for i, c := range cols {
		pdf.CellFormat(widths[i], 6, c, "", 0, "L", true, 0, "")
	}
	pdf.Ln(-1)
	pdf.SetFont("Helvetica", "", 9)
}

func tableRow(pdf *fpdf.Fpdf, widths []float64, cells ...string) {
	for i, c := range cells {
		pdf.CellFormat(widths[i], 5.5, c, "", 0, "L", false, 0, "")
	}
	pdf.Ln(-1)
}

// chart draws the forecast score with its band on a 0..100 scale, with the
// High and Medium thresholds as dashed lines.
func chart(pdf *fpdf.Fpdf, pts []engine.ForecastPoint, high, medium float64) {
	const h = 55.0
	if pdf.GetY()+h+8 > 297-margin {
		pdf.AddPage()
	}
	x0, y0 := margin+8, pdf.GetY()+2
	w := bodyW - 8
	y := func(v float64) float64 { return y0 + h - math.Max(0, math.Min(100, v))/100*h }
	pdf.SetDrawColor(180, 180, 180)
	pdf.SetLineWidth(0.2)
	pdf.Rect(x0, y0, w, h, "D")
	pdf.SetFont("Helvetica", "", 7)
	pdf.SetTextColor(110, 110, 110)
	for _, v := range []float64{0, 50, 100} {
		pdf.Text(margin, y(v)+1, fmt.Sprintf("%.0f", v))
	}
	pdf.SetDashPattern([]float64{1.5, 1}, 0)
	for _, t := range []struct {
		v       float64
		r, g, b int
	}{{high, 200, 60, 50}, {medium, 220, 150, 30}} {
		pdf.SetDrawColor(t.r, t.g, t.b)
		pdf.Line(x0, y(t.v), x0+w, y(t.v))
	}
	pdf.SetDashPattern(nil, 0)
	if len(pts) >= 2 {
		step := w / float64(len(pts)-1)
		band := make([]fpdf.PointType, 0, 2*len(pts))
		for i, p := range pts {
			band = append(band, fpdf.PointType{X: x0 + float64(i)*step, Y: y(p.High)})
		}
		for i := len(pts) - 1; i >= 0; i-- {
			band = append(band, fpdf.PointType{X: x0 + float64(i)*step, Y: y(pts[i].Low)})
		}
		pdf.SetFillColor(205, 220, 245)
		pdf.Polygon(band, "F")
		pdf.SetDrawColor(40, 90, 180)
		pdf.SetLineWidth(0.6)
		for i := 1; i < len(pts); i++ {
			pdf.Line(x0+float64(i-1)*step, y(pts[i-1].Score), x0+float64(i)*step, y(pts[i].Score))
		}
		pdf.SetLineWidth(0.2)
		pdf.Text(x0, y0+h+4, pts[0].Time.UTC().Format("Jan 02 15:04"))
		last := pts[len(pts)-1].Time.UTC().Format("Jan 02 15:04 MST")
		pdf.Text(x0+w-pdf.GetStringWidth(last), y0+h+4, last)
	} else {
		pdf.Text(x0+4, y0+h/2, "Not enough history for a forecast yet.")
	}
	pdf.SetTextColor(20, 20, 20)
	pdf.SetY(y0 + h + 6)
}

func labelColor(label string) (int, int, int) {
	switch label {
	case "high":
		return 200, 60, 50
	case "medium":
		return 220, 150, 30
	}
	return 60, 150, 90
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "..."
	}
	return s
}
