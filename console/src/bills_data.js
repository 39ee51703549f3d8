// Billing's views as the console needs them: the month of the business clock, the month's
// summary by product and its detail rows (paged: at most 300 a call).
import * as api from "./api.js";

export const monthOf = (unix) => new Date(unix * 1000).toISOString().slice(0, 7);

export async function monthDetail(month) {
  const rows = [];
  for (let offset = 0; offset < 3000; offset += 300) {
    const r = await api.call("billing", "DescribeBillDetail", { Month: month, Offset: offset, Limit: 300 });
    rows.push(...(r.DetailSet || []));
    if (!r.DetailSet || r.DetailSet.length < 300) break;
  }
  return rows;
}

export const byProduct = (month) =>
  api.call("billing", "DescribeBillSummaryByProduct", { BeginTime: month, EndTime: month });

// The month's cost by resource (billing L2), the costliest first.
export const byResource = (month) =>
  api.call("billing", "DescribeBillResourceSummary", { Month: month, Offset: 0, Limit: 1000 })
    .then((r) => (r.ResourceSummarySet || []).sort((a, b) => Number(b.RealTotalCost) - Number(a.RealTotalCost)));
