package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The charts use the sans-serif face of the Liberation fonts that gonum
// embeds; the binary plots nothing else.
func init() {
	plot.DefaultFont = font.Font{Typeface: "Liberation", Variant: "Sans"}
}

// palette are the series colours, Grafana's classic ones.
var palette = []color.RGBA{
	{0x73, 0xbf, 0x69, 0xff}, {0xf2, 0xcc, 0x0c, 0xff}, {0x56, 0x94, 0xf2, 0xff}, {0xff, 0x98, 0x30, 0xff},
	{0xf2, 0x49, 0x5c, 0xff}, {0xb8, 0x77, 0xd9, 0xff}, {0x8a, 0xb8, 0xff, 0xff}, {0x37, 0x87, 0x2d, 0xff},
}

// colours maps Grafana's named colours onto RGB.
var colours = map[string]color.RGBA{
	"green": {0x37, 0x87, 0x2d, 0xff}, "red": {0xc4, 0x16, 0x2a, 0xff}, "orange": {0xfa, 0x64, 0x00, 0xff},
	"yellow": {0xe0, 0xb4, 0x00, 0xff}, "blue": {0x1f, 0x60, 0xc4, 0xff},
}

var (
	grey  = color.RGBA{0x60, 0x60, 0x60, 0xff}
	black = color.RGBA{0x20, 0x20, 0x20, 0xff}
)

// Line is one series of a line chart.
type Line struct {
	Name   string
	Points []Point
}

// unitTicks labels an axis in the unit's words (percentages, durations).
type unitTicks struct{ unit Unit }

func (u unitTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = formatValue(Value{OK: true, Value: ticks[i].Value}, u.unit)
		}
	}
	return ticks
}

// renderTrend draws a chart's points as one line.
func renderTrend(c Chart) ([]byte, error) {
	return renderLines(c.Title, c.Unit, c.Start, c.End, []Line{{Points: c.Points}}, nil, 7*vg.Inch, 2.6*vg.Inch)
}

// renderLines draws time series, with horizontal threshold lines, as PNG.
func renderLines(title string, unit Unit, start, end time.Time, lines []Line, thresholds []thresholdLine, w, h vg.Length) ([]byte, error) {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = 11
	p.X.Tick.Marker = plot.TimeTicks{Format: "2 Jan"}
	p.Y.Tick.Marker = unitTicks{unit}
	p.X.Min, p.X.Max = float64(start.Unix()), float64(end.Unix())
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	drawn := false
	for i, l := range lines {
		if len(l.Points) == 0 {
			continue
		}
		drawn = true
		xys := make(plotter.XYs, len(l.Points))
		for j, pt := range l.Points {
			xys[j] = plotter.XY{X: float64(pt.T.Unix()), Y: pt.V}
		}
		col := palette[i%len(palette)]
		line, err := plotter.NewLine(xys)
		if err != nil {
			return nil, fmt.Errorf("chart %q: %w", title, err)
		}
		line.Color, line.Width = col, vg.Points(1.5)
		p.Add(line)
		if len(xys) < 3 {
			// A line of one or two points is hard to see; mark them.
			dots, err := plotter.NewScatter(xys)
			if err != nil {
				return nil, fmt.Errorf("chart %q: %w", title, err)
			}
			dots.Color, dots.Radius = col, vg.Points(3)
			p.Add(dots)
		}
		if l.Name != "" && len(lines) > 1 {
			p.Legend.Add(l.Name, line)
		}
	}
	for _, t := range thresholds {
		tl, err := plotter.NewLine(plotter.XYs{{X: p.X.Min, Y: t.value}, {X: p.X.Max, Y: t.value}})
		if err != nil {
			return nil, err
		}
		tl.Color, tl.Dashes = t.colour, []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(tl)
	}
	if !drawn {
		return message(title, "no data", w, h)
	}
	if p.Y.Min > 0 {
		p.Y.Min = 0 // counts and ratios read best from zero
	}
	if p.Y.Max == p.Y.Min {
		p.Y.Max = p.Y.Min + 1
	}
	if unit == Ratio && p.Y.Max < 1 && p.Y.Max > 0.5 {
		p.Y.Max = 1
	}
	return encode(p, w, h)
}

type thresholdLine struct {
	value  float64
	colour color.Color
}

// Bar is one bar of a bar chart.
type Bar struct {
	Name  string
	Value float64
}

// renderBars draws horizontal bars with their values.
func renderBars(title string, unit Unit, bars []Bar, colourOf func(float64) color.Color, w, h vg.Length) ([]byte, error) {
	if len(bars) == 0 {
		return message(title, "no data", w, h)
	}
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(c)
	titleStyle := textStyle(12, black, draw.XLeft, draw.YTop)
	pad := vg.Points(8)
	dc.FillText(titleStyle, vg.Point{X: pad, Y: h - pad}, title)
	top := h - pad - vg.Points(22)
	rowH := (top - pad) / vg.Length(len(bars))
	rowH = min(rowH, vg.Points(28))
	labelStyle := textStyle(9, black, draw.XLeft, draw.YCenter)
	valueStyle := textStyle(9, black, draw.XRight, draw.YCenter)
	labelW := vg.Length(0)
	for _, b := range bars {
		labelW = max(labelW, labelStyle.Width(b.Name))
	}
	labelW = min(labelW+pad, w/3)
	maxV := 0.0
	for _, b := range bars {
		maxV = math.Max(maxV, b.Value)
	}
	if unit == Ratio {
		maxV = math.Max(maxV, 1)
	}
	if maxV == 0 {
		maxV = 1
	}
	valueW := vg.Points(70)
	barSpace := w - 2*pad - labelW - valueW
	for i, b := range bars {
		y := top - vg.Length(i)*rowH - rowH/2
		dc.FillText(labelStyle, vg.Point{X: pad, Y: y}, b.Name)
		bw := barSpace * vg.Length(math.Max(b.Value, 0)/maxV)
		x0 := pad + labelW
		rect := vg.Rectangle{Min: vg.Point{X: x0, Y: y - rowH*0.35}, Max: vg.Point{X: x0 + bw, Y: y + rowH*0.35}}
		dc.SetColor(colourOf(b.Value))
		dc.Fill(rect.Path())
		dc.FillText(valueStyle, vg.Point{X: w - pad, Y: y}, formatValue(Value{OK: true, Value: b.Value}, unit))
	}
	return encodeCanvas(c)
}

// renderStat draws a big number under its title, Grafana's stat panel.
func renderStat(title, value string, col color.Color, w, h vg.Length) ([]byte, error) {
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(c)
	pad := vg.Points(8)
	dc.FillText(textStyle(11, black, draw.XLeft, draw.YTop), vg.Point{X: pad, Y: h - pad}, title)
	size := vg.Length(40)
	st := textStyle(size, col, draw.XCenter, draw.YCenter)
	for st.Width(value) > w-2*pad && size > 10 {
		size -= 2
		st = textStyle(size, col, draw.XCenter, draw.YCenter)
	}
	dc.FillText(st, vg.Point{X: w / 2, Y: (h - vg.Points(20)) / 2}, value)
	return encodeCanvas(c)
}

// renderTable draws rows of text under a header.
func renderTable(title string, header []string, rows [][]string, w, h vg.Length) ([]byte, error) {
	if len(rows) == 0 {
		return message(title, "no data", w, h)
	}
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(c)
	pad := vg.Points(8)
	dc.FillText(textStyle(12, black, draw.XLeft, draw.YTop), vg.Point{X: pad, Y: h - pad}, title)
	rowH := vg.Points(16)
	colW := (w - 2*pad) / vg.Length(len(header))
	y := h - pad - vg.Points(28)
	head := textStyle(9, grey, draw.XLeft, draw.YCenter)
	cell := textStyle(9, black, draw.XLeft, draw.YCenter)
	for i, t := range header {
		dc.FillText(head, vg.Point{X: pad + vg.Length(i)*colW, Y: y}, t)
	}
	dc.SetColor(grey)
	dc.StrokeLine2(draw.LineStyle{Color: grey, Width: vg.Points(0.5)}, pad, y-rowH/2, w-pad, y-rowH/2)
	shown := 0
	for _, r := range rows {
		y -= rowH
		if y < pad {
			dc.FillText(head, vg.Point{X: pad, Y: y + rowH/2}, fmt.Sprintf("… %d more rows", len(rows)-shown))
			break
		}
		for i, t := range r {
			dc.FillText(cell, vg.Point{X: pad + vg.Length(i)*colW, Y: y}, t)
		}
		shown++
	}
	return encodeCanvas(c)
}

// message is an image with a title and a line of text, for no data.
func message(title, text string, w, h vg.Length) ([]byte, error) {
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(c)
	pad := vg.Points(8)
	dc.FillText(textStyle(11, black, draw.XLeft, draw.YTop), vg.Point{X: pad, Y: h - pad}, title)
	dc.FillText(textStyle(14, grey, draw.XCenter, draw.YCenter), vg.Point{X: w / 2, Y: h / 2}, text)
	return encodeCanvas(c)
}

func textStyle(size vg.Length, col color.Color, x draw.XAlignment, y draw.YAlignment) draw.TextStyle {
	return draw.TextStyle{Color: col, Font: font.From(plot.DefaultFont, size), XAlign: x, YAlign: y, Handler: plot.DefaultTextHandler}
}

func encode(p *plot.Plot, w, h vg.Length) ([]byte, error) {
	wt, err := p.WriterTo(w, h, "png")
	if err != nil {
		return nil, fmt.Errorf("rendering %q: %w", p.Title.Text, err)
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encoding %q: %w", p.Title.Text, err)
	}
	return buf.Bytes(), nil
}

func encodeCanvas(c *vgimg.Canvas) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encoding an image: %w", err)
	}
	return buf.Bytes(), nil
}
