//! ratatui + crossterm: one frame rendered to a test backend, and crossterm's
//! (platform-specific) code linked in through a styled string.
use crossterm::style::Stylize;
use ratatui::{backend::TestBackend, widgets::Paragraph, Terminal};

fn main() {
    let mut terminal = Terminal::new(TestBackend::new(16, 1)).unwrap();
    terminal
        .draw(|frame| frame.render_widget(Paragraph::new("nixcross frame"), frame.area()))
        .unwrap();
    let row: String = terminal.backend().buffer().content().iter().map(|c| c.symbol()).collect();
    let styled = format!("{}", "x".red().bold());
    // Only reads whether stdout is a terminal; the answer is "no" under the test harness.
    let tty = crossterm::tty::IsTty::is_tty(&std::io::stdout());
    println!("tui-frame: row={:?} styled_len={} tty={tty}", row.trim_end(), styled.len());
}
