// The seed's model page, rendered from the generated client types (src/api.d.ts, made by
// openapi-typescript from the live /api/schema/). `make contract` type-checks it with
// `tsc --strict`: a renamed or retyped field the page uses fails the build.
import type { components, paths } from "./api";

type Schemas = components["schemas"];
type ModelPage = Schemas["ModelPageOutput"];
type ReviewPage = Schemas["PaginatedReviewOutputList"];
type Review = Schemas["ReviewOutput"];
type ApiError = Schemas["ErrorOutput"];
// How every representation names a model: `{slug, name, url}` with an absolute url.
type ModelReference = Schemas["ModelReferenceOutput"];
type PageQuery = NonNullable<paths["/api/v1/models/{provider}/{model}/"]["get"]["parameters"]["query"]>;
type ReviewsQuery = NonNullable<
  paths["/api/v1/models/{provider}/{model}/reviews/"]["get"]["parameters"]["query"]
>;

// One request for the whole page (`?include=`), one ordering idiom, one cursor.
export const pageQuery: PageQuery = { include: "rating,ranks,reviews" };
export const helpfulFirst: ReviewsQuery = { ordering: "-helpfulness", page_size: 10 };

function stars(value: number | null): string {
  return value === null ? "unrated" : `${value.toFixed(2)} / 5`;
}

function link(model: ModelReference): string {
  return `${model.name} <${model.url}>`;
}

function reviewLine(review: Review): string {
  const mine = review.viewer?.is_author ? " (yours)" : "";
  const use = review.use_cases.join(", ");
  const author = review.author.profile_url ?? review.author.display_name;
  return `${"★".repeat(review.stars)} ${review.title} — ${author}${mine} [${use}] of ${link(review.model)} <${review.url}>`;
}

export function renderReviews(page: ReviewPage): string[] {
  const lines = [`${page.count} reviews`, ...page.results.map(reviewLine)];
  if (page.next !== null) lines.push(`more: ${page.next}`);
  return lines;
}

// One lifecycle shape in list and page: the enum (the page adds the date and successor).
function lifecycle(status: Schemas["LifecycleEnum"]): string {
  return status === "deprecated" ? "deprecated" : "active";
}

export function renderModelPage(model: ModelPage): string {
  const lines = [
    `${model.name} (${model.slug}) by ${model.provider.name}`,
    `lifecycle: ${lifecycle(model.lifecycle)}`,
    `context: ${model.context_window ?? "unknown"} tokens`,
  ];
  if (model.successor !== null) lines.push(`replaced by ${link(model.successor)} on ${model.deprecation_date ?? "a date not announced"}`);
  for (const sibling of model.siblings) lines.push(`sibling: ${link(sibling)}`);
  if (model.price !== null) {
    lines.push(`price: ${model.price.input_per_mtok} in / ${model.price.output_per_mtok} out per 1M`);
  }
  const rating = model.included?.rating;
  if (rating !== undefined) {
    lines.push(`rating: ${stars(rating.bayesian_average)} from ${rating.review_count} reviews`);
  }
  for (const rank of model.included?.ranks?.ranks ?? []) {
    const category: Schemas["RankCategoryEnum"] = rank.category;
    lines.push(`#${rank.rank} of ${rank.total} in ${category} by ${rank.measure_name}`);
  }
  for (const version of model.versions) {
    lines.push(`version ${version.slug}: ${version.review_count} reviews`);
  }
  const reviews = model.included?.reviews;
  if (reviews !== undefined) lines.push(...renderReviews(reviews));
  return lines.join("\n");
}

// Every error status has one body: a stable code, a message, and a flat map of fields.
export function renderError(status: number, error: ApiError): string {
  const fields = Object.entries(error.fields ?? {}).map(([path, problems]) => `${path}: ${problems.join(" ")}`);
  return [`${status} ${error.code}: ${error.message}`, ...fields].join("\n");
}
