# Date boxes are <input type="date">, which shows and sends ISO dates in the
# reader's own format; a default written as 23.11.2026 would show as empty.
# Dates typed in the local style are still understood.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]
