//! The HTTP entry points: `impl DokkuProApi`. Each method is a line or three: [`op`] authenticates
//! and builds the [`OpContext`](crate::context::OpContext); the closure parses the path parameters
//! into typed identifiers, unpacks the body and calls the app function named after the operation;
//! the result is answered in the operation's response type. Both ends are
//! [`crate::envelope`]'s. Nothing else happens here: statuses are chosen in `crate::error`,
//! decisions in the app layer. The methods look alike because their signatures are the
//! generated trait's; each differs only in what it parses and which app function it calls.

use std::sync::Arc;

use dokku_pro_api::auth::{BasicOrBearerAuth, BearerAuth};
use dokku_pro_api::body::OptionalBody;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::models;
use dokku_pro_api::responses::{self, TokenResponse};
use dokku_pro_api::{DokkuProApi, dokku_pro_api_mod, params, qs};
use dropshot::{
    ApiDescription, HttpResponseCreated, HttpResponseDeleted, HttpResponseOk,
    HttpResponseUpdatedNoContent, Path, RequestContext, TypedBody,
};
use serde_json::{Map, Value};

use crate::app::queue_jobs::parse_job_id;
use crate::app::resources::parse_resource_id;
use crate::app::selectable::{BUILDERS, SCHEDULERS};
use crate::app::{
    apps, audit, builders, buildpacks, datastores, domains, envs, formations, http_auth,
    maintenance, queue_jobs, resources, schedulers, services, ssh_keys,
};
use crate::context::{self, ApiContext};
use crate::envelope::{Accepted, AcceptedNoContent, app, data, links, op, param, scoped};
use crate::ids::{
    AllowedIp, BuildpackUrl, DomainName, EnvKey, Fingerprint, HttpAuthUsername, ProcessType,
    ServiceId,
};

/// The implementation of the generated trait (never instantiated: dropshot calls the functions).
pub enum DokkuProApiImpl {}

/// The API description the server registers.
pub fn api() -> ApiDescription<Arc<ApiContext>> {
    dokku_pro_api_mod::api_description::<DokkuProApiImpl>()
        .expect("the generated API trait registers with dropshot")
}

type Rq = RequestContext<Arc<ApiContext>>;
impl DokkuProApi for DokkuProApiImpl {
    type Context = Arc<ApiContext>;

    // Public reads and authentication: no bearer token.

    async fn get_health(rq: Rq) -> Result<responses::HttpResponseHealth, ApiError> {
        Ok(rq.context().health.report().await)
    }

    async fn get_metrics(rq: Rq) -> Result<responses::HttpResponsePrometheus, ApiError> {
        let host = &rq.context().host;
        let health = &rq.context().health;
        Ok(responses::HttpResponsePrometheus(crate::metrics::render(host, health).await))
    }

    async fn get_docs_page(_rq: Rq) -> Result<responses::HttpResponseOkFile, ApiError> {
        Ok(crate::docs_page::page())
    }

    async fn get_docs_asset(
        _rq: Rq,
        path: Path<params::GetDocsAssetPath>,
    ) -> Result<responses::HttpResponseOkFile, ApiError> {
        crate::docs_page::file(&param(path))
    }

    async fn get_open_api_document(rq: Rq) -> Result<HttpResponseOk<Map<String, Value>>, ApiError> {
        Ok(HttpResponseOk(rq.context().openapi.as_ref().clone()))
    }

    async fn login(
        rq: Rq,
        auth: BasicOrBearerAuth,
        body: OptionalBody<models::LoginBody>,
    ) -> Result<HttpResponseCreated<TokenResponse>, ApiError> {
        let token = context::login(&rq, &auth.0, body.into_inner()).await?;
        Ok(HttpResponseCreated(TokenResponse::new(token)))
    }

    async fn logout(
        rq: Rq,
        path: Path<params::LogoutPath>,
    ) -> Result<HttpResponseDeleted, ApiError> {
        context::logout(&rq, path.into_inner().token_id).await?;
        Ok(HttpResponseDeleted())
    }

    // Apps.

    async fn get_apps(
        rq: Rq,
        auth: BearerAuth,
    ) -> Result<HttpResponseOk<models::GetAppsResponse>, ApiError> {
        op(&rq, auth, async |o| apps::get_apps(o).await).await
    }

    async fn get_app_by_id(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::GetAppByIdPath>,
    ) -> Result<HttpResponseOk<models::GetAppByIdResponse>, ApiError> {
        op(&rq, auth, async |o| apps::get_app_by_id(o, &app(path)?).await).await
    }

    async fn add_app(
        rq: Rq,
        auth: BearerAuth,
        body: TypedBody<models::AddAppBody>,
    ) -> Result<HttpResponseCreated<models::AddAppResponse>, ApiError> {
        op(&rq, auth, async |o| apps::add_app(o, data(o, body)?).await).await
    }

    async fn update_app(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::UpdateAppPath>,
        body: TypedBody<models::UpdateAppBody>,
    ) -> Result<HttpResponseOk<models::UpdateAppResponse>, ApiError> {
        op(&rq, auth, async |o| apps::update_app(o, &app(path)?, data(o, body)?).await).await
    }

    async fn delete_app(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::DeleteAppPath>,
    ) -> Result<HttpResponseDeleted, ApiError> {
        op(&rq, auth, async |o| apps::delete_app(o, &app(path)?).await).await
    }

    // Builders.

    async fn get_builders(
        rq: Rq,
        auth: BearerAuth,
    ) -> Result<HttpResponseOk<models::GetBuildersResponse>, ApiError> {
        op(&rq, auth, async |o| builders::get_builders(o).await).await
    }

    async fn get_builder_by_id(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::GetBuilderByIdPath>,
    ) -> Result<HttpResponseOk<models::GetBuilderByIdResponse>, ApiError> {
        op(&rq, auth, async |o| {
            builders::get_builder_by_id(o, &BUILDERS.parse_name(&param(path))?).await
        })
        .await
    }

    async fn get_builder_settings_for_app(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::GetBuilderSettingsForAppPath>,
    ) -> Result<HttpResponseOk<models::GetBuilderSettingsForAppResponse>, ApiError> {
        op(&rq, auth, async |o| builders::get_builder_settings_for_app(o, &app(path)?).await).await
    }

    async fn update_builder_settings(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::UpdateBuilderSettingsPath>,
        body: TypedBody<models::UpdateBuilderSettingsBody>,
    ) -> Result<HttpResponseOk<models::UpdateBuilderSettingsResponse>, ApiError> {
        op(&rq, auth, async |o| {
            builders::update_builder_settings(o, &app(path)?, data(o, body)?).await
        })
        .await
    }

    // Buildpacks.

    async fn get_buildpacks_for_app(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::GetBuildpacksForAppPath>,
    ) -> Result<HttpResponseOk<models::GetBuildpacksForAppResponse>, ApiError> {
        op(&rq, auth, async |o| buildpacks::get_buildpacks_for_app(o, &app(path)?).await).await
    }

    async fn add_buildpack(
        rq: Rq,
        auth: BearerAuth,
        body: TypedBody<models::AddBuildpackBody>,
    ) -> Result<Accepted<models::AddBuildpackResponse>, ApiError> {
        op(&rq, auth, async |o| buildpacks::add_buildpack(o, data(o, body)?).await).await
    }

    async fn delete_buildpack(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::DeleteBuildpackPath>,
    ) -> Result<AcceptedNoContent, ApiError> {
        op(&rq, auth, async |o| {
            buildpacks::delete_buildpack(o, &scoped(path, "buildpack", BuildpackUrl::parse)?).await
        })
        .await
    }

    // Datastores and services.

    async fn get_datastores(
        rq: Rq,
        auth: BearerAuth,
    ) -> Result<HttpResponseOk<models::GetDatastoresResponse>, ApiError> {
        op(&rq, auth, async |o| datastores::get_datastores(o).await).await
    }

    async fn get_services(
        rq: Rq,
        auth: BearerAuth,
        query: qs::FormQuery<params::GetServicesQuery>,
    ) -> Result<HttpResponseOk<models::GetServicesResponse>, ApiError> {
        op(&rq, auth, async |o| {
            services::get_services(o, query.into_inner().fields.as_deref()).await
        })
        .await
    }

    async fn get_service_by_id(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::GetServiceByIdPath>,
        query: qs::FormQuery<params::GetServiceByIdQuery>,
    ) -> Result<HttpResponseOk<models::GetServiceByIdResponse>, ApiError> {
        op(&rq, auth, async |o| {
            let fields = query.into_inner().fields;
            services::get_service_by_id(o, &ServiceId::parse(&param(path))?, fields.as_deref())
                .await
        })
        .await
    }

    async fn add_service(
        rq: Rq,
        auth: BearerAuth,
        body: TypedBody<models::AddServiceBody>,
    ) -> Result<HttpResponseCreated<models::AddServiceResponse>, ApiError> {
        op(&rq, auth, async |o| services::add_service(o, data(o, body)?).await).await
    }

    async fn delete_service(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::DeleteServicePath>,
    ) -> Result<HttpResponseDeleted, ApiError> {
        op(&rq, auth, async |o| services::delete_service(o, &ServiceId::parse(&param(path))?).await)
            .await
    }

    async fn get_services_for_app(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::GetServicesForAppPath>,
        query: qs::FormQuery<params::GetServicesForAppQuery>,
    ) -> Result<HttpResponseOk<models::GetServicesForAppResponse>, ApiError> {
        op(&rq, auth, async |o| {
            let include = query.into_inner().include;
            services::get_services_for_app(o, &app(path)?, include.as_deref()).await
        })
        .await
    }

    async fn link_service_to_app(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::LinkServiceToAppPath>,
        body: OptionalBody<models::LinkServiceToAppBody>,
    ) -> Result<HttpResponseUpdatedNoContent, ApiError> {
        op(&rq, auth, async |o| services::link_service_to_app(o, &app(path)?, links(o, body)).await)
            .await
    }

    async fn unlink_service_from_app(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::UnlinkServiceFromAppPath>,
        body: OptionalBody<models::UnlinkServiceFromAppBody>,
    ) -> Result<HttpResponseDeleted, ApiError> {
        op(&rq, auth, async |o| {
            services::unlink_service_from_app(o, &app(path)?, links(o, body)).await
        })
        .await
    }

    // Domains.

    async fn get_domains_for_app(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::GetDomainsForAppPath>,
    ) -> Result<HttpResponseOk<models::GetDomainsForAppResponse>, ApiError> {
        op(&rq, auth, async |o| domains::get_domains_for_app(o, &app(path)?).await).await
    }

    async fn add_domain(
        rq: Rq,
        auth: BearerAuth,
        body: TypedBody<models::AddDomainBody>,
    ) -> Result<HttpResponseCreated<models::AddDomainResponse>, ApiError> {
        op(&rq, auth, async |o| domains::add_domain(o, data(o, body)?).await).await
    }

    async fn delete_domain(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::DeleteDomainPath>,
    ) -> Result<HttpResponseDeleted, ApiError> {
        op(&rq, auth, async |o| {
            domains::delete_domain(o, &scoped(path, "domain", DomainName::parse_existing)?).await
        })
        .await
    }

    // Environment variables.

    async fn get_env_for_app(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::GetEnvForAppPath>,
    ) -> Result<HttpResponseOk<models::GetEnvForAppResponse>, ApiError> {
        op(&rq, auth, async |o| envs::get_env_for_app(o, &app(path)?).await).await
    }

    async fn add_env(
        rq: Rq,
        auth: BearerAuth,
        body: TypedBody<models::AddEnvBody>,
    ) -> Result<Accepted<models::AddEnvResponse>, ApiError> {
        op(&rq, auth, async |o| envs::add_env(o, data(o, body)?).await).await
    }

    async fn delete_env(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::DeleteEnvPath>,
    ) -> Result<AcceptedNoContent, ApiError> {
        op(&rq, auth, async |o| envs::delete_env(o, &scoped(path, "env", EnvKey::parse)?).await)
            .await
    }

    // Formations and resources.

    async fn get_formations_for_app(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::GetFormationsForAppPath>,
    ) -> Result<HttpResponseOk<models::GetFormationsForAppResponse>, ApiError> {
        op(&rq, auth, async |o| formations::get_formations_for_app(o, &app(path)?).await).await
    }

    async fn add_formation(
        rq: Rq,
        auth: BearerAuth,
        body: TypedBody<models::AddFormationBody>,
    ) -> Result<Accepted<models::AddFormationResponse>, ApiError> {
        op(&rq, auth, async |o| formations::add_formation(o, data(o, body)?).await).await
    }

    async fn delete_formation(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::DeleteFormationPath>,
    ) -> Result<AcceptedNoContent, ApiError> {
        op(&rq, auth, async |o| {
            formations::delete_formation(
                o,
                &scoped(path, "formation", ProcessType::parse_scalable)?,
            )
            .await
        })
        .await
    }

    async fn get_resources_for_app(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::GetResourcesForAppPath>,
    ) -> Result<HttpResponseOk<models::GetResourcesForAppResponse>, ApiError> {
        op(&rq, auth, async |o| resources::get_resources_for_app(o, &app(path)?).await).await
    }

    async fn add_resource(
        rq: Rq,
        auth: BearerAuth,
        body: TypedBody<models::AddResourceBody>,
    ) -> Result<Accepted<models::AddResourceResponse>, ApiError> {
        op(&rq, auth, async |o| resources::add_resource(o, data(o, body)?).await).await
    }

    async fn delete_resource(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::DeleteResourcePath>,
    ) -> Result<AcceptedNoContent, ApiError> {
        op(&rq, auth, async |o| {
            resources::delete_resource(o, &parse_resource_id(&param(path))?).await
        })
        .await
    }

    // HTTP auth.

    async fn get_http_auth_for_app(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::GetHttpAuthForAppPath>,
    ) -> Result<HttpResponseOk<models::GetHttpAuthForAppResponse>, ApiError> {
        op(&rq, auth, async |o| http_auth::get_http_auth_for_app(o, &app(path)?).await).await
    }

    async fn update_http_auths(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::UpdateHttpAuthsPath>,
        body: TypedBody<models::UpdateHttpAuthsBody>,
    ) -> Result<HttpResponseOk<models::UpdateHttpAuthsResponse>, ApiError> {
        op(&rq, auth, async |o| http_auth::update_http_auths(o, &app(path)?, data(o, body)?).await)
            .await
    }

    async fn get_http_auth_ips_for_app(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::GetHttpAuthIpsForAppPath>,
    ) -> Result<HttpResponseOk<models::GetHttpAuthIpsForAppResponse>, ApiError> {
        op(&rq, auth, async |o| http_auth::get_http_auth_ips_for_app(o, &app(path)?).await).await
    }

    async fn add_http_auth_ip(
        rq: Rq,
        auth: BearerAuth,
        body: TypedBody<models::AddHttpAuthIpBody>,
    ) -> Result<HttpResponseCreated<models::AddHttpAuthIpResponse>, ApiError> {
        op(&rq, auth, async |o| http_auth::add_http_auth_ip(o, data(o, body)?).await).await
    }

    async fn delete_http_auth_ip(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::DeleteHttpAuthIpPath>,
    ) -> Result<HttpResponseDeleted, ApiError> {
        op(&rq, auth, async |o| {
            http_auth::delete_http_auth_ip(o, &scoped(path, "ip", AllowedIp::parse)?).await
        })
        .await
    }

    async fn get_http_auth_users_for_app(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::GetHttpAuthUsersForAppPath>,
    ) -> Result<HttpResponseOk<models::GetHttpAuthUsersForAppResponse>, ApiError> {
        op(&rq, auth, async |o| http_auth::get_http_auth_users_for_app(o, &app(path)?).await).await
    }

    async fn add_http_auth_user(
        rq: Rq,
        auth: BearerAuth,
        body: TypedBody<models::AddHttpAuthUserBody>,
    ) -> Result<HttpResponseCreated<models::AddHttpAuthUserResponse>, ApiError> {
        op(&rq, auth, async |o| http_auth::add_http_auth_user(o, data(o, body)?).await).await
    }

    async fn update_http_auth_user(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::UpdateHttpAuthUserPath>,
        body: TypedBody<models::UpdateHttpAuthUserBody>,
    ) -> Result<HttpResponseOk<models::UpdateHttpAuthUserResponse>, ApiError> {
        op(&rq, auth, async |o| {
            http_auth::update_http_auth_user(
                o,
                &scoped(path, "user", HttpAuthUsername::parse)?,
                data(o, body)?,
            )
            .await
        })
        .await
    }

    async fn delete_http_auth_user(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::DeleteHttpAuthUserPath>,
    ) -> Result<HttpResponseDeleted, ApiError> {
        op(&rq, auth, async |o| {
            http_auth::delete_http_auth_user(o, &scoped(path, "user", HttpAuthUsername::parse)?)
                .await
        })
        .await
    }

    // Maintenance.

    async fn get_maintenance_for_app(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::GetMaintenanceForAppPath>,
    ) -> Result<HttpResponseOk<models::GetMaintenanceForAppResponse>, ApiError> {
        op(&rq, auth, async |o| maintenance::get_maintenance_for_app(o, &app(path)?).await).await
    }

    async fn update_maintenances(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::UpdateMaintenancesPath>,
        body: TypedBody<models::UpdateMaintenancesBody>,
    ) -> Result<HttpResponseOk<models::UpdateMaintenancesResponse>, ApiError> {
        op(&rq, auth, async |o| {
            maintenance::update_maintenances(o, &app(path)?, data(o, body)?).await
        })
        .await
    }

    // Queued background jobs.

    async fn get_queue_job(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::GetQueueJobPath>,
    ) -> Result<HttpResponseOk<models::GetQueueJobResponse>, ApiError> {
        op(&rq, auth, async |o| queue_jobs::get_queue_job(o, parse_job_id(&param(path))?).await)
            .await
    }

    async fn cancel_queue_job(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::CancelQueueJobPath>,
    ) -> Result<HttpResponseOk<models::CancelQueueJobResponse>, ApiError> {
        op(&rq, auth, async |o| queue_jobs::cancel_queue_job(o, parse_job_id(&param(path))?).await)
            .await
    }

    // Schedulers.

    async fn get_schedulers(
        rq: Rq,
        auth: BearerAuth,
    ) -> Result<HttpResponseOk<models::GetSchedulersResponse>, ApiError> {
        op(&rq, auth, async |o| schedulers::get_schedulers(o).await).await
    }

    async fn get_scheduler_by_id(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::GetSchedulerByIdPath>,
    ) -> Result<HttpResponseOk<models::GetSchedulerByIdResponse>, ApiError> {
        op(&rq, auth, async |o| {
            schedulers::get_scheduler_by_id(o, &SCHEDULERS.parse_name(&param(path))?).await
        })
        .await
    }

    async fn get_scheduler_settings_for_app(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::GetSchedulerSettingsForAppPath>,
    ) -> Result<HttpResponseOk<models::GetSchedulerSettingsForAppResponse>, ApiError> {
        op(&rq, auth, async |o| schedulers::get_scheduler_settings_for_app(o, &app(path)?).await)
            .await
    }

    async fn update_scheduler_settings(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::UpdateSchedulerSettingsPath>,
        body: TypedBody<models::UpdateSchedulerSettingsBody>,
    ) -> Result<HttpResponseOk<models::UpdateSchedulerSettingsResponse>, ApiError> {
        op(&rq, auth, async |o| {
            schedulers::update_scheduler_settings(o, &app(path)?, data(o, body)?).await
        })
        .await
    }

    // SSH keys.

    async fn get_ssh_keys(
        rq: Rq,
        auth: BearerAuth,
    ) -> Result<HttpResponseOk<models::GetSshKeysResponse>, ApiError> {
        op(&rq, auth, async |o| ssh_keys::get_ssh_keys(o).await).await
    }

    async fn get_ssh_key_by_fingerprint_id(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::GetSshKeyByFingerprintIdPath>,
    ) -> Result<HttpResponseOk<models::GetSshKeyByFingerprintIdResponse>, ApiError> {
        op(&rq, auth, async |o| {
            ssh_keys::get_ssh_key_by_fingerprint_id(o, &Fingerprint::parse(&param(path))?).await
        })
        .await
    }

    async fn add_ssh_key(
        rq: Rq,
        auth: BearerAuth,
        body: TypedBody<models::AddSshKeyBody>,
    ) -> Result<HttpResponseCreated<models::AddSshKeyResponse>, ApiError> {
        op(&rq, auth, async |o| ssh_keys::add_ssh_key(o, data(o, body)?).await).await
    }

    async fn delete_ssh_key(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::DeleteSshKeyPath>,
    ) -> Result<HttpResponseDeleted, ApiError> {
        op(&rq, auth, async |o| {
            ssh_keys::delete_ssh_key(o, &Fingerprint::parse(&param(path))?).await
        })
        .await
    }

    async fn get_queue_jobs(
        rq: Rq,
        auth: BearerAuth,
        query: qs::FormQuery<params::GetQueueJobsQuery>,
    ) -> Result<HttpResponseOk<models::GetQueueJobsResponse>, ApiError> {
        op(&rq, auth, async |o| queue_jobs::get_queue_jobs(o, query.into_inner()).await).await
    }

    async fn get_audit_events(
        rq: Rq,
        auth: BearerAuth,
        query: dropshot::Query<params::GetAuditEventsQuery>,
    ) -> Result<HttpResponseOk<models::GetAuditEventsResponse>, ApiError> {
        op(&rq, auth, async |o| audit::get_audit_events(o, query.into_inner()).await).await
    }

    async fn get_queue_job_output(
        rq: Rq,
        auth: BearerAuth,
        path: Path<params::GetQueueJobOutputPath>,
        request_headers: dropshot::Header<params::GetQueueJobOutputHeaders>,
    ) -> Result<responses::HttpResponseEventStream, ApiError> {
        let last_event_id = request_headers.into_inner().last_event_id;
        op(&rq, auth, async |o| {
            let id = parse_job_id(&param(path))?;
            queue_jobs::get_queue_job_output(o, id, last_event_id.as_deref()).await
        })
        .await
    }
}
