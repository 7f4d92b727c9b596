/** Whether a shared bucket's grants go through per-grantee access points. */
export const ACCESS_POINT_CHOICES = ["auto", "always", "never"] as const;
/**
 * `auto`: access points only when the merged grants do not fit the bucket policy. `always`: every grantee through
 * its access point. `never`: the bucket policy only; over its limit is an error.
 */
export type AccessPointChoice = (typeof ACCESS_POINT_CHOICES)[number];
