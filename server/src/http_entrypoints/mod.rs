//! The HTTP entry points: `impl DokkuProApi`, delegating to one module per spec tag. Each handler
//! authenticates, calls one function of the app layer and wraps the result.

use std::sync::Arc;

use dokku_pro_api::auth::{BasicOrBearerAuth, BearerAuth};
use dokku_pro_api::body::OptionalBody;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::models::{
    GetHealthResponse, Health, HealthAttributes, HealthAttributesStatus, HealthType,
};
use dokku_pro_api::responses::{self, TokenResponse};
use dokku_pro_api::{DokkuProApi, dokku_pro_api_mod, headers, models, params, qs};
use dropshot::{
    ApiDescription, HttpResponseCreated, HttpResponseDeleted, HttpResponseOk, RequestContext,
};
use serde_json::{Map, Value};

use crate::auth::LoginRequest;
use crate::context::{ApiContext, client_addr};

mod apps;
mod builders;
mod buildpacks;
mod datastores;
mod domains;
mod envs;
mod formations;
mod http_auth;
mod maintenance;
mod queue_jobs;
mod resources;
mod schedulers;
mod services;
mod ssh_keys;

/// The implementation of the generated trait (never instantiated: dropshot calls the functions).
pub enum DokkuProApiImpl {}

/// The API description the server registers.
pub fn api() -> ApiDescription<Arc<ApiContext>> {
    dokku_pro_api_mod::api_description::<DokkuProApiImpl>()
        .expect("the generated API trait registers with dropshot")
}

impl DokkuProApi for DokkuProApiImpl {
    type Context = Arc<ApiContext>;

    async fn get_health(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<GetHealthResponse>, ApiError> {
        let host = &rqctx.context().host;
        let status = if host.reachable().await {
            HealthAttributesStatus::Ok
        } else {
            HealthAttributesStatus::Degraded
        };
        Ok(HttpResponseOk(GetHealthResponse {
            data: Health {
                id: Some("server".into()),
                type_: Some(HealthType::Health),
                attributes: Some(HealthAttributes {
                    status: Some(status),
                    server_version: Some(env!("CARGO_PKG_VERSION").into()),
                    dokku_host: Some(host.kind().into()),
                    dokku_version: Some(host.version().to_string()),
                }),
            },
        }))
    }

    async fn get_metrics(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<responses::HttpResponsePrometheus, ApiError> {
        let host = &rqctx.context().host;
        Ok(responses::HttpResponsePrometheus(crate::metrics::render(host).await))
    }

    async fn get_docs_page(
        _rqctx: RequestContext<Self::Context>,
    ) -> Result<responses::HttpResponseOkFile, ApiError> {
        Ok(crate::docs_page::page())
    }

    async fn get_docs_asset(
        _rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<params::GetDocsAssetPath>,
    ) -> Result<responses::HttpResponseOkFile, ApiError> {
        crate::docs_page::file(&path.into_inner().asset)
    }

    async fn get_open_api_document(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<Map<String, Value>>, ApiError> {
        Ok(HttpResponseOk(rqctx.context().openapi.as_ref().clone()))
    }

    async fn login(
        rqctx: RequestContext<Self::Context>,
        auth: BasicOrBearerAuth,
        body: OptionalBody<models::LoginBody>,
    ) -> Result<HttpResponseCreated<TokenResponse>, ApiError> {
        let request = LoginRequest::from_body(body.into_inner())?;
        let client = client_addr(&rqctx).ip();
        let token = rqctx.context().auth.login(client, &auth.0, request).await?;
        Ok(HttpResponseCreated(TokenResponse::new(token)))
    }

    async fn logout(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<params::LogoutPath>,
    ) -> Result<HttpResponseDeleted, ApiError> {
        rqctx.context().auth.logout(&path.into_inner().token_id).await?;
        Ok(HttpResponseDeleted())
    }

    async fn get_builder_settings_for_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::GetBuilderSettingsForAppPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetBuilderSettingsForAppResponse>, ApiError> {
        builders::get_builder_settings_for_app(rqctx, auth, path).await
    }

    async fn get_buildpacks_for_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::GetBuildpacksForAppPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetBuildpacksForAppResponse>, ApiError> {
        buildpacks::get_buildpacks_for_app(rqctx, auth, path).await
    }

    async fn get_domains_for_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::GetDomainsForAppPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetDomainsForAppResponse>, ApiError> {
        domains::get_domains_for_app(rqctx, auth, path).await
    }

    async fn get_env_for_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::GetEnvForAppPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetEnvForAppResponse>, ApiError> {
        envs::get_env_for_app(rqctx, auth, path).await
    }

    async fn get_formations_for_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::GetFormationsForAppPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetFormationsForAppResponse>, ApiError> {
        formations::get_formations_for_app(rqctx, auth, path).await
    }

    async fn get_http_auth_for_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::GetHttpAuthForAppPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetHttpAuthForAppResponse>, ApiError> {
        http_auth::get_http_auth_for_app(rqctx, auth, path).await
    }

    async fn get_http_auth_ips_for_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::GetHttpAuthIpsForAppPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetHttpAuthIpsForAppResponse>, ApiError> {
        http_auth::get_http_auth_ips_for_app(rqctx, auth, path).await
    }

    async fn get_http_auth_users_for_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::GetHttpAuthUsersForAppPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetHttpAuthUsersForAppResponse>, ApiError> {
        http_auth::get_http_auth_users_for_app(rqctx, auth, path).await
    }

    async fn get_maintenance_for_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::GetMaintenanceForAppPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetMaintenanceForAppResponse>, ApiError> {
        maintenance::get_maintenance_for_app(rqctx, auth, path).await
    }

    async fn link_service_to_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::LinkServiceToAppPath>,
        body: OptionalBody<models::LinkServiceToAppBody>,
    ) -> Result<dropshot::HttpResponseUpdatedNoContent, ApiError> {
        services::link_service_to_app(rqctx, auth, path, body).await
    }

    async fn unlink_service_from_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::UnlinkServiceFromAppPath>,
        body: OptionalBody<models::UnlinkServiceFromAppBody>,
    ) -> Result<dropshot::HttpResponseDeleted, ApiError> {
        services::unlink_service_from_app(rqctx, auth, path, body).await
    }

    async fn get_resources_for_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::GetResourcesForAppPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetResourcesForAppResponse>, ApiError> {
        resources::get_resources_for_app(rqctx, auth, path).await
    }

    async fn get_scheduler_settings_for_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::GetSchedulerSettingsForAppPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetSchedulerSettingsForAppResponse>, ApiError>
    {
        schedulers::get_scheduler_settings_for_app(rqctx, auth, path).await
    }

    async fn get_services_for_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::GetServicesForAppPath>,
        query: qs::FormQuery<params::GetServicesForAppQuery>,
    ) -> Result<dropshot::HttpResponseOk<models::GetServicesForAppResponse>, ApiError> {
        services::get_services_for_app(rqctx, auth, path, query).await
    }

    async fn get_app_by_id(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::GetAppByIdPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetAppByIdResponse>, ApiError> {
        apps::get_app_by_id(rqctx, auth, path).await
    }

    async fn update_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::UpdateAppPath>,
        body: dropshot::TypedBody<models::UpdateAppBody>,
    ) -> Result<dropshot::HttpResponseOk<models::UpdateAppResponse>, ApiError> {
        apps::update_app(rqctx, auth, path, body).await
    }

    async fn delete_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::DeleteAppPath>,
    ) -> Result<dropshot::HttpResponseDeleted, ApiError> {
        apps::delete_app(rqctx, auth, path).await
    }

    async fn get_apps(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
    ) -> Result<dropshot::HttpResponseOk<models::GetAppsResponse>, ApiError> {
        apps::get_apps(rqctx, auth).await
    }

    async fn add_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        body: dropshot::TypedBody<models::AddAppBody>,
    ) -> Result<dropshot::HttpResponseCreated<models::AddAppResponse>, ApiError> {
        apps::add_app(rqctx, auth, body).await
    }

    async fn update_builder_settings(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::UpdateBuilderSettingsPath>,
        body: dropshot::TypedBody<models::UpdateBuilderSettingsBody>,
    ) -> Result<dropshot::HttpResponseOk<models::UpdateBuilderSettingsResponse>, ApiError> {
        builders::update_builder_settings(rqctx, auth, path, body).await
    }

    async fn get_builder_by_id(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::GetBuilderByIdPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetBuilderByIdResponse>, ApiError> {
        builders::get_builder_by_id(rqctx, auth, path).await
    }

    async fn get_builders(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
    ) -> Result<dropshot::HttpResponseOk<models::GetBuildersResponse>, ApiError> {
        builders::get_builders(rqctx, auth).await
    }

    async fn delete_buildpack(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::DeleteBuildpackPath>,
    ) -> Result<
        dropshot::HttpResponseHeaders<
            responses::HttpResponseAcceptedNoContent,
            headers::ContentLocationHeader,
        >,
        ApiError,
    > {
        buildpacks::delete_buildpack(rqctx, auth, path).await
    }

    async fn add_buildpack(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        body: dropshot::TypedBody<models::AddBuildpackBody>,
    ) -> Result<
        dropshot::HttpResponseHeaders<
            dropshot::HttpResponseAccepted<models::AddBuildpackResponse>,
            headers::ContentLocationHeader,
        >,
        ApiError,
    > {
        buildpacks::add_buildpack(rqctx, auth, body).await
    }

    async fn get_datastores(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
    ) -> Result<dropshot::HttpResponseOk<models::GetDatastoresResponse>, ApiError> {
        datastores::get_datastores(rqctx, auth).await
    }

    async fn delete_domain(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::DeleteDomainPath>,
    ) -> Result<dropshot::HttpResponseDeleted, ApiError> {
        domains::delete_domain(rqctx, auth, path).await
    }

    async fn add_domain(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        body: dropshot::TypedBody<models::AddDomainBody>,
    ) -> Result<dropshot::HttpResponseCreated<models::AddDomainResponse>, ApiError> {
        domains::add_domain(rqctx, auth, body).await
    }

    async fn delete_env(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::DeleteEnvPath>,
    ) -> Result<
        dropshot::HttpResponseHeaders<
            responses::HttpResponseAcceptedNoContent,
            headers::ContentLocationHeader,
        >,
        ApiError,
    > {
        envs::delete_env(rqctx, auth, path).await
    }

    async fn add_env(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        body: dropshot::TypedBody<models::AddEnvBody>,
    ) -> Result<
        dropshot::HttpResponseHeaders<
            dropshot::HttpResponseAccepted<models::AddEnvResponse>,
            headers::ContentLocationHeader,
        >,
        ApiError,
    > {
        envs::add_env(rqctx, auth, body).await
    }

    async fn delete_formation(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::DeleteFormationPath>,
    ) -> Result<
        dropshot::HttpResponseHeaders<
            responses::HttpResponseAcceptedNoContent,
            headers::ContentLocationHeader,
        >,
        ApiError,
    > {
        formations::delete_formation(rqctx, auth, path).await
    }

    async fn add_formation(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        body: dropshot::TypedBody<models::AddFormationBody>,
    ) -> Result<
        dropshot::HttpResponseHeaders<
            dropshot::HttpResponseAccepted<models::AddFormationResponse>,
            headers::ContentLocationHeader,
        >,
        ApiError,
    > {
        formations::add_formation(rqctx, auth, body).await
    }

    async fn delete_http_auth_ip(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::DeleteHttpAuthIpPath>,
    ) -> Result<dropshot::HttpResponseDeleted, ApiError> {
        http_auth::delete_http_auth_ip(rqctx, auth, path).await
    }

    async fn add_http_auth_ip(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        body: dropshot::TypedBody<models::AddHttpAuthIpBody>,
    ) -> Result<dropshot::HttpResponseCreated<models::AddHttpAuthIpResponse>, ApiError> {
        http_auth::add_http_auth_ip(rqctx, auth, body).await
    }

    async fn update_http_auth_user(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::UpdateHttpAuthUserPath>,
        body: dropshot::TypedBody<models::UpdateHttpAuthUserBody>,
    ) -> Result<dropshot::HttpResponseOk<models::UpdateHttpAuthUserResponse>, ApiError> {
        http_auth::update_http_auth_user(rqctx, auth, path, body).await
    }

    async fn delete_http_auth_user(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::DeleteHttpAuthUserPath>,
    ) -> Result<dropshot::HttpResponseDeleted, ApiError> {
        http_auth::delete_http_auth_user(rqctx, auth, path).await
    }

    async fn add_http_auth_user(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        body: dropshot::TypedBody<models::AddHttpAuthUserBody>,
    ) -> Result<dropshot::HttpResponseCreated<models::AddHttpAuthUserResponse>, ApiError> {
        http_auth::add_http_auth_user(rqctx, auth, body).await
    }

    async fn update_http_auths(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::UpdateHttpAuthsPath>,
        body: dropshot::TypedBody<models::UpdateHttpAuthsBody>,
    ) -> Result<dropshot::HttpResponseOk<models::UpdateHttpAuthsResponse>, ApiError> {
        http_auth::update_http_auths(rqctx, auth, path, body).await
    }

    async fn update_maintenances(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::UpdateMaintenancesPath>,
        body: dropshot::TypedBody<models::UpdateMaintenancesBody>,
    ) -> Result<dropshot::HttpResponseOk<models::UpdateMaintenancesResponse>, ApiError> {
        maintenance::update_maintenances(rqctx, auth, path, body).await
    }

    async fn get_queue_job(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::GetQueueJobPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetQueueJobResponse>, ApiError> {
        queue_jobs::get_queue_job(rqctx, auth, path).await
    }

    async fn get_queue_jobs(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        query: qs::FormQuery<params::GetQueueJobsQuery>,
    ) -> Result<HttpResponseOk<models::GetQueueJobsResponse>, ApiError> {
        queue_jobs::get_queue_jobs(rqctx, auth, query).await
    }

    async fn cancel_queue_job(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::CancelQueueJobPath>,
    ) -> Result<HttpResponseOk<models::CancelQueueJobResponse>, ApiError> {
        queue_jobs::cancel_queue_job(rqctx, auth, path).await
    }

    async fn get_queue_job_output(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::GetQueueJobOutputPath>,
        request_headers: dropshot::Header<params::GetQueueJobOutputHeaders>,
    ) -> Result<responses::HttpResponseEventStream, ApiError> {
        queue_jobs::get_queue_job_output(rqctx, auth, path, request_headers).await
    }

    async fn delete_resource(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::DeleteResourcePath>,
    ) -> Result<
        dropshot::HttpResponseHeaders<
            responses::HttpResponseAcceptedNoContent,
            headers::ContentLocationHeader,
        >,
        ApiError,
    > {
        resources::delete_resource(rqctx, auth, path).await
    }

    async fn add_resource(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        body: dropshot::TypedBody<models::AddResourceBody>,
    ) -> Result<
        dropshot::HttpResponseHeaders<
            dropshot::HttpResponseAccepted<models::AddResourceResponse>,
            headers::ContentLocationHeader,
        >,
        ApiError,
    > {
        resources::add_resource(rqctx, auth, body).await
    }

    async fn update_scheduler_settings(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::UpdateSchedulerSettingsPath>,
        body: dropshot::TypedBody<models::UpdateSchedulerSettingsBody>,
    ) -> Result<dropshot::HttpResponseOk<models::UpdateSchedulerSettingsResponse>, ApiError> {
        schedulers::update_scheduler_settings(rqctx, auth, path, body).await
    }

    async fn get_scheduler_by_id(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::GetSchedulerByIdPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetSchedulerByIdResponse>, ApiError> {
        schedulers::get_scheduler_by_id(rqctx, auth, path).await
    }

    async fn get_schedulers(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
    ) -> Result<dropshot::HttpResponseOk<models::GetSchedulersResponse>, ApiError> {
        schedulers::get_schedulers(rqctx, auth).await
    }

    async fn get_service_by_id(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::GetServiceByIdPath>,
        query: qs::FormQuery<params::GetServiceByIdQuery>,
    ) -> Result<dropshot::HttpResponseOk<models::GetServiceByIdResponse>, ApiError> {
        services::get_service_by_id(rqctx, auth, path, query).await
    }

    async fn delete_service(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::DeleteServicePath>,
    ) -> Result<dropshot::HttpResponseDeleted, ApiError> {
        services::delete_service(rqctx, auth, path).await
    }

    async fn get_services(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        query: qs::FormQuery<params::GetServicesQuery>,
    ) -> Result<dropshot::HttpResponseOk<models::GetServicesResponse>, ApiError> {
        services::get_services(rqctx, auth, query).await
    }

    async fn add_service(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        body: dropshot::TypedBody<models::AddServiceBody>,
    ) -> Result<dropshot::HttpResponseCreated<models::AddServiceResponse>, ApiError> {
        services::add_service(rqctx, auth, body).await
    }

    async fn get_ssh_key_by_fingerprint_id(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::GetSshKeyByFingerprintIdPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetSshKeyByFingerprintIdResponse>, ApiError> {
        ssh_keys::get_ssh_key_by_fingerprint_id(rqctx, auth, path).await
    }

    async fn delete_ssh_key(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        path: dropshot::Path<params::DeleteSshKeyPath>,
    ) -> Result<dropshot::HttpResponseDeleted, ApiError> {
        ssh_keys::delete_ssh_key(rqctx, auth, path).await
    }

    async fn get_ssh_keys(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
    ) -> Result<dropshot::HttpResponseOk<models::GetSshKeysResponse>, ApiError> {
        ssh_keys::get_ssh_keys(rqctx, auth).await
    }

    async fn add_ssh_key(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        body: dropshot::TypedBody<models::AddSshKeyBody>,
    ) -> Result<dropshot::HttpResponseCreated<models::AddSshKeyResponse>, ApiError> {
        ssh_keys::add_ssh_key(rqctx, auth, body).await
    }
}
